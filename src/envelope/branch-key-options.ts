import { Duration } from 'aws-cdk-lib';
import { ManagedKeyProps } from '../key';

/**
 * Branch keys for an EnvelopeEncryptedBucket: every object gets its own data key, derived locally
 * from a branch key, so the per-object encryption context costs no KMS call; KMS unwraps a branch
 * key once per function container per `cacheTtl`.
 */
export interface EnvelopeBranchKeyOptions {
  /**
   * Tenants, each with its own branch key (id = tenant name). The first segment of an object's
   * name (`<tenant>/<rest>`) selects its tenant; other names are refused. Names: letters, digits,
   * `_`, `-` and `.` (not first), at most 64 characters.
   * @default - one branch key (id `bucket`) for every object
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
}
