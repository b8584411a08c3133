import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AttributeAction } from './attribute-action';
import { codecEnvironment, createCryptoFunction } from './crypto-function';
import { EnvelopeCryptoOptions } from './crypto-options';
import { assertNoProblems } from '../errors';
import { KeyCapability, KeyUser, ManagedKey, ManagedKeyProps } from '../key';

/** The encryption-context key that names the table; the key policy pins it (see lambda/envelope/item-envelope.ts). */
const TABLE_CONTEXT_KEY = 'envelope:table';
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
}

/**
 * A DynamoDB table whose items are envelope-encrypted per attribute by a crypto function (AWS
 * Encryption SDK, data keys from a KMS key whose policy lets only the crypto functions generate
 * and decrypt data keys, and only with the table's encryption context). The table is encrypted
 * at rest with a customer-managed key too.
 *
 * Callers invoke `cryptoFunction` (read-write) or `readFunction` (read-only) with JSON requests:
 * put, get, delete, batchPut, batchGet, query. Items are ordinary JSON objects.
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
    const [partitionKey] = schema.partitionKeys;
    const [sortKey] = schema.sortKeys;

    const environment = {
      ...codecEnvironment(this, this.key.keyArn, props),
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

    this.authorize(this.cryptoFunction.role!, KeyCapability.ENCRYPT_DECRYPT, [...READ_ACTIONS, ...WRITE_ACTIONS]);
    this.authorize(this.readFunction.role!, KeyCapability.DECRYPT, READ_ACTIONS);
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
  private authorize(role: iam.IRole, capability: KeyCapability, tableActions: string[]): void {
    this.key.addUser(KeyUser.of(role, capability, {
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
