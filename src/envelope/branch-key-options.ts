import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ManagedKeyProps } from '../key';

/**
 * Branch keys of an envelope construct (EnvelopeEncryptedBucket; EnvelopeEncryptedTable takes
 * EnvelopeTableBranchKeyOptions): every object or item gets its own data key, derived locally
 * from a branch key, so the per-object encryption context costs no KMS call; KMS unwraps a branch
 * key once per function container per `cacheTtl`.
 */
export interface EnvelopeBranchKeyOptions {
  /**
   * Tenants, each with its own branch key (id = tenant name). In a bucket the first segment of an
   * object's name (`<tenant>/<rest>`) selects its tenant; in a table, the item's
   * `tenantAttribute`. Anything else is refused. Names: letters, digits, `_`, `-` and `.` (not
   * first), at most 64 characters.
   * @default - one branch key (id `bucket` or `table`) for every object or item
   */
  readonly tenants?: string[];

  /**
   * How long a function keeps a branch key after KMS unwrapped it. Longer: fewer KMS calls;
   * shorter: a disabled key or a revoked grant takes effect sooner.
   * @default Duration.minutes(5)
   */
  readonly cacheTtl?: Duration;

  /**
   * Change this value (any string, e.g. a date) to rotate: each existing branch key gets a new
   * version at deployment; older versions stay readable, so older objects still decrypt.
   * @default - no rotation by deployment
   */
  readonly rotationToken?: string;

  /**
   * Properties of the ManagedKey that wraps the branch keys (and encrypts the store table).
   * @default - a ManagedKey with its defaults
   */
  readonly keyProps?: ManagedKeyProps;

  /**
   * What happens to the branch key store (DynamoDB) when it leaves the stack. Its items are key
   * material for every stored object or item: with RETAIN it also has deletion protection. DESTROY
   * is for test stacks (set `keyProps.removalPolicy` for the key as well).
   * @default RemovalPolicy.RETAIN
   */
  readonly storeRemovalPolicy?: RemovalPolicy;
}

/**
 * Branch keys of an EnvelopeEncryptedTable: every item's message carries its own encryption
 * context (table, partition key, sort key, tenant) at no KMS call per item.
 */
export interface EnvelopeTableBranchKeyOptions extends EnvelopeBranchKeyOptions {
  /**
   * The attribute whose string value names an item's tenant (and so its branch key): the
   * partition key, the sort key (both of type STRING) or an attribute named SIGN_ONLY in
   * `attributeActions`, so that it is bound to the item. Required with `tenants`, and only with them.
   * @default - no tenants
   */
  readonly tenantAttribute?: string;
}
