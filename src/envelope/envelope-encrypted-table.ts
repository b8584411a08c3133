import { Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AttributeAction } from './attribute-action';
import { EnvelopeTableBranchKeyOptions } from './branch-key-options';
import { BranchKeyResources, createBranchKeys } from './branch-keys';
import { codecEnvironment, createCryptoFunction } from './crypto-function';
import { EnvelopeCryptoOptions } from './crypto-options';
import { assertNoProblems } from '../errors';
import { KeyCapability, KeyUser, ManagedKey, ManagedKeyProps } from '../key';

/**
 * The encryption-context keys of an EnvelopeEncryptedTable item's message. Without branch keys
 * every message carries only TABLE (the key policy pins it; the item binding is sealed inside the
 * message); with branch keys each message also carries its item's key values and tenant.
 */
export class ItemEncryptionContext {
  /** Context key whose value is the table name. */
  public static readonly TABLE = 'envelope:table';
  /** Context key whose value is the item's partition key value (a number in its JavaScript string form). */
  public static readonly PARTITION_KEY = 'envelope:partition-key';
  /** Context key whose value is the item's sort key value (tables with a sort key). */
  public static readonly SORT_KEY = 'envelope:sort-key';
  /** Context key whose value is the item's tenant (branch keys with tenants). */
  public static readonly TENANT = 'envelope:tenant';
}

/** The encryption-context key that names the table; the key policy pins it (see lambda/envelope/item-envelope.ts). */
const TABLE_CONTEXT_KEY = ItemEncryptionContext.TABLE;
/** The attribute that holds each item's ESDK message. */
const ENVELOPE_ATTRIBUTE = 'aws_envelope';

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** Properties of an EnvelopeEncryptedTable. */
export interface EnvelopeEncryptedTableProps extends EnvelopeCryptoOptions {
  /**
   * Properties of the table to create. Its encryption is set by this construct (a customer-managed
   * key), so leave `encryption` and `encryptionKey` unset; use `existingTableKey` instead.
   * @default - required unless `existingTableObj` is given
   */
  readonly tableProps?: dynamodb.TableProps;

  /**
   * A table to use instead of creating one. It must be encrypted with a customer-managed key.
   * @default - a table is created from `tableProps`
   */
  readonly existingTableObj?: dynamodb.Table;

  /**
   * The key whose data keys encrypt the items (the envelope key).
   * @default - a ManagedKey is created from `keyProps`
   */
  readonly existingKey?: ManagedKey;

  /**
   * Properties of the envelope key to create.
   * @default - a symmetric ManagedKey with rotation on
   */
  readonly keyProps?: ManagedKeyProps;

  /**
   * The key that encrypts the table at rest (DynamoDB server-side encryption).
   * @default - a separate ManagedKey, usable by the crypto functions only through DynamoDB
   */
  readonly existingTableKey?: ManagedKey;

  /**
   * What to do with each attribute. Partition and sort keys are never encrypted (they are bound to
   * each item's ciphertext) and must not be ENCRYPT_AND_SIGN.
   * @default - every attribute takes `defaultAttributeAction`
   */
  readonly attributeActions?: { [name: string]: AttributeAction };

  /**
   * The action for attributes not named in `attributeActions`.
   * @default AttributeAction.ENCRYPT_AND_SIGN
   */
  readonly defaultAttributeAction?: AttributeAction;

  /**
   * Per-item data keys derived from branch keys (the AWS Encryption SDK's hierarchical keyring):
   * each item's message carries its own encryption context (table, key values, tenant) at no KMS
   * call per item. Creates a branch key store (DynamoDB), a ManagedKey that wraps the branch keys,
   * and the branch keys (a custom resource), optionally one per tenant. Items written before still
   * read.
   * @default - data keys from the envelope key (KMS), cached under the table-wide context
   */
  readonly branchKeys?: EnvelopeTableBranchKeyOptions;
}

/**
 * A DynamoDB table whose items are envelope-encrypted per attribute by a crypto function (AWS
 * Encryption SDK, data keys from a KMS key whose policy lets only the crypto functions generate
 * and decrypt data keys, and only with the table's encryption context). The table is encrypted
 * at rest with a customer-managed key too.
 *
 * Callers invoke `cryptoFunction` (read-write) or `readFunction` (read-only) with JSON requests:
 * put, get, delete, batchPut, batchGet, query. Items are ordinary JSON objects.
 *
 * With `branchKeys`, data keys are derived from branch keys (optionally one per tenant) and each
 * item's message carries its own encryption context (ItemEncryptionContext) at no KMS call per item.
 */
export class EnvelopeEncryptedTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The envelope key: its data keys encrypt the items. */
  public readonly key: ManagedKey;
  /** The key that encrypts the table at rest. */
  public readonly tableEncryptionKey: kms.IKey;
  /** The read-write crypto function (put, get, delete, batchPut, batchGet, query). */
  public readonly cryptoFunction: lambda.Function;
  /** The read-only crypto function (get, batchGet, query); it cannot generate data keys. */
  public readonly readFunction: lambda.Function;
  /** The branch key store (with `branchKeys`). */
  public readonly branchKeyStore?: dynamodb.ITable;
  /** The key that wraps the branch keys (with `branchKeys`). */
  public readonly branchKeyKey?: ManagedKey;
  /** The branch key store's logical name, in every branch key's KMS encryption context as `tablename`. */
  public readonly branchKeyStoreName?: string;

  constructor(scope: Construct, id: string, props: EnvelopeEncryptedTableProps) {
    super(scope, id);
    assertNoProblems(this, propsProblems(props));

    this.key = props.existingKey ?? new ManagedKey(this, 'Key', {
      description: `Envelope data keys of ${this.node.path}`,
      ...props.keyProps,
    });
    this.table = props.existingTableObj ?? this.createTable(props);
    this.tableEncryptionKey = this.table.encryptionKey!;

    const schema = this.table.schemaV2();
    const actions = props.attributeActions ?? {};
    assertNoProblems(this, schemaProblems(schema, actions));
    assertNoProblems(this, tenantProblems(schema, actions, props.branchKeys));
    const [partitionKey] = schema.partitionKeys;
    const [sortKey] = schema.sortKeys;

    const branchKeys: BranchKeyResources | undefined = props.branchKeys &&
      createBranchKeys(this, props.branchKeys, { kind: 'EnvelopeEncryptedTable', singleBranchKeyId: 'table' }, props.logRetention);
    this.branchKeyStore = branchKeys?.table;
    this.branchKeyKey = branchKeys?.key;
    this.branchKeyStoreName = branchKeys?.logicalStoreName;
    const tenantAttribute = props.branchKeys?.tenantAttribute;

    const environment = {
      ...codecEnvironment(this, this.key.keyArn, props),
      ...branchKeys?.environment,
      ...(tenantAttribute !== undefined ? { ENVELOPE_TENANT_ATTRIBUTE: tenantAttribute } : {}),
      ENVELOPE_TABLE_NAME: this.table.tableName,
      ENVELOPE_PARTITION_KEY: partitionKey.name,
      ...(sortKey ? { ENVELOPE_SORT_KEY: sortKey.name } : {}),
      ENVELOPE_ATTRIBUTE_ACTIONS: JSON.stringify(actions),
      ENVELOPE_DEFAULT_ACTION: props.defaultAttributeAction ?? AttributeAction.ENCRYPT_AND_SIGN,
    };
    this.cryptoFunction = createCryptoFunction(this, 'Function', {
      bundle: 'table',
      description: 'EnvelopeEncryptedTable crypto function (read-write)',
      environment: { ...environment, ENVELOPE_ACCESS: 'READ_WRITE' },
      options: props,
    });
    this.readFunction = createCryptoFunction(this, 'ReadFunction', {
      bundle: 'table',
      description: 'EnvelopeEncryptedTable crypto function (read-only)',
      environment: { ...environment, ENVELOPE_ACCESS: 'READ' },
      options: props,
    });

    // With branch keys, new data keys come from branch keys: the envelope key only decrypts items
    // written before branch keys were turned on.
    const envelopeCapability = branchKeys ? KeyCapability.DECRYPT : KeyCapability.ENCRYPT_DECRYPT;
    this.authorize(this.cryptoFunction.role!, envelopeCapability, KeyCapability.ENCRYPT_DECRYPT, [...READ_ACTIONS, ...WRITE_ACTIONS]);
    this.authorize(this.readFunction.role!, KeyCapability.DECRYPT, KeyCapability.DECRYPT, READ_ACTIONS);
    for (const fn of [this.cryptoFunction, this.readFunction]) branchKeys?.grantUse(fn.role!);
  }

  /** Lets the principal invoke the read-write function. It gets no rights on the keys or the table. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.cryptoFunction.grantInvoke(grantee);
  }

  /** Lets the principal invoke the read-only function. It gets no rights on the keys or the table. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.readFunction.grantInvoke(grantee);
  }

  private createTable(props: EnvelopeEncryptedTableProps): dynamodb.Table {
    const tableKey = props.existingTableKey ?? new ManagedKey(this, 'TableKey', {
      description: `DynamoDB encryption at rest of ${this.node.path}`,
    });
    return new dynamodb.Table(this, 'Table', {
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      ...props.tableProps!,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
    });
  }

  /**
   * The crypto role's rights: data keys only with this table's encryption context (exact pair,
   * no other keys), the table key only through DynamoDB, and the table's item actions.
   */
  private authorize(role: iam.IRole, envelopeCapability: KeyCapability, capability: KeyCapability, tableActions: string[]): void {
    this.key.addUser(KeyUser.of(role, envelopeCapability, {
      encryptionContext: { [TABLE_CONTEXT_KEY]: this.table.tableName },
      requiredEncryptionContextKeys: [TABLE_CONTEXT_KEY],
      allowedEncryptionContextKeys: [TABLE_CONTEXT_KEY],
    }));
    if (this.tableEncryptionKey instanceof ManagedKey) {
      this.tableEncryptionKey.addUser(KeyUser.viaService(role, 'dynamodb', { capability }));
    } else if (capability === KeyCapability.ENCRYPT_DECRYPT) {
      this.tableEncryptionKey.grantEncryptDecrypt(role);
    } else {
      this.tableEncryptionKey.grantDecrypt(role);
    }
    this.table.grant(role, ...tableActions);
  }
}

function propsProblems(props: EnvelopeEncryptedTableProps): string[] {
  const problems: string[] = [];
  if (props.tableProps && props.existingTableObj) problems.push('Give tableProps or existingTableObj, not both');
  if (!props.tableProps && !props.existingTableObj) problems.push('Give tableProps (to create a table) or existingTableObj');
  if (props.existingKey && props.keyProps) problems.push('Give existingKey or keyProps, not both');
  if (props.existingTableObj && props.existingTableKey) problems.push('existingTableKey is for a created table; existingTableObj keeps its own key');
  if (props.existingTableObj && !props.existingTableObj.encryptionKey) {
    problems.push('existingTableObj must be encrypted with a customer-managed key (TableEncryption.CUSTOMER_MANAGED)');
  }
  if (props.tableProps?.encryption !== undefined || props.tableProps?.encryptionKey !== undefined) {
    problems.push('Leave tableProps.encryption and tableProps.encryptionKey unset: the table is encrypted with a customer-managed key (set existingTableKey to choose it)');
  }
  const key = props.existingKey;
  if (key && (key.keySpec !== kms.KeySpec.SYMMETRIC_DEFAULT || key.keyUsage !== kms.KeyUsage.ENCRYPT_DECRYPT)) {
    problems.push('existingKey must be a symmetric ENCRYPT_DECRYPT key (SYMMETRIC_DEFAULT)');
  }
  return problems;
}

function schemaProblems(schema: dynamodb.KeySchema, actions: { [name: string]: AttributeAction }): string[] {
  const problems: string[] = [];
  if (schema.partitionKeys.length !== 1 || schema.sortKeys.length > 1) {
    problems.push('The table must have one partition key attribute and at most one sort key attribute');
  }
  const keys = [...schema.partitionKeys, ...schema.sortKeys];
  for (const attribute of keys) {
    if (actions[attribute.name] === AttributeAction.ENCRYPT_AND_SIGN) {
      problems.push(`Key attribute ${attribute.name} cannot be ENCRYPT_AND_SIGN: keys stay plaintext (they are bound to each item's ciphertext)`);
    }
    if (attribute.type === dynamodb.AttributeType.BINARY) {
      problems.push(`Key attribute ${attribute.name} is BINARY: the crypto function takes JSON, so keys must be STRING or NUMBER`);
    }
  }
  if (ENVELOPE_ATTRIBUTE in actions || keys.some((k) => k.name === ENVELOPE_ATTRIBUTE)) {
    problems.push(`${ENVELOPE_ATTRIBUTE} is reserved for the envelope`);
  }
  return problems;
}

/**
 * The tenant attribute must be bound to the item (a key, or SIGN_ONLY by name) and hold a string,
 * and tenants and the tenant attribute come together.
 */
function tenantProblems(schema: dynamodb.KeySchema, actions: { [name: string]: AttributeAction }, options?: EnvelopeTableBranchKeyOptions): string[] {
  if (!options) return [];
  const attribute = options.tenantAttribute;
  if (attribute === undefined) {
    return options.tenants ? ['branchKeys.tenants needs branchKeys.tenantAttribute: the attribute whose value names each item\'s tenant'] : [];
  }
  if (!options.tenants) return [`branchKeys.tenantAttribute '${attribute}' needs branchKeys.tenants: the tenants, each with its own branch key`];
  if (Token.isUnresolved(attribute) || attribute === '') return ['branchKeys.tenantAttribute must be a literal attribute name'];
  if (attribute === '__proto__') return ["branchKeys.tenantAttribute cannot be '__proto__': the AWS SDK cannot store that name in plaintext"];
  const key = [...schema.partitionKeys, ...schema.sortKeys].find((k) => k.name === attribute);
  if (key) {
    return key.type === dynamodb.AttributeType.STRING ? [] : [`branchKeys.tenantAttribute '${attribute}' is a ${key.type} key attribute: a tenant is a string, use a STRING key`];
  }
  const action = Object.prototype.hasOwnProperty.call(actions, attribute) ? actions[attribute] : undefined;
  if (action === AttributeAction.SIGN_ONLY) return [];
  if (action === undefined) {
    return [`branchKeys.tenantAttribute '${attribute}' is not a key attribute and not in attributeActions: use the partition key, the sort key, or name it SIGN_ONLY in attributeActions`];
  }
  return [`branchKeys.tenantAttribute '${attribute}' is ${action}: the tenant must be readable and bound to the item, make it SIGN_ONLY (or use a key attribute)`];
}
