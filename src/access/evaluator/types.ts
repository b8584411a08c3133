/**
 * Types of the key-policy evaluator. Policies are plain resolved JSON: a value that could not be
 * resolved from the template (an intrinsic function left opaque) is any non-string value, and it
 * never matches anything.
 */

/** One statement of a key policy or an identity policy: the linter's statement type. */
export type { PolicyStatement } from '../../lint/template';

/** A policy document: `Statement` may be one statement or a list. */
export interface PolicyDocument {
  readonly Version?: unknown;
  readonly Statement?: unknown;
}

/** A value of a condition key in the request: one value or a multi-valued key. */
export type ContextValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** A request to use a KMS key. */
export interface KeyRequest {
  /**
   * Who calls: an IAM ARN (role, user, `assumed-role` session, account root), a 12-digit account id
   * (= that account's root) or a service principal such as `logs.amazonaws.com`.
   */
  readonly principal: string;
  /** The action, e.g. `kms:Decrypt`. */
  readonly action: string;
  /** The key's ARN (`arn:aws:kms:<region>:<account>:key/<id>`); its account decides same- or cross-account. */
  readonly keyArn: string;
  /** Condition keys and their values (names are case-insensitive). */
  readonly context?: Readonly<Record<string, ContextValue>>;
  /**
   * The encryption context of the request: sets `kms:EncryptionContext:<key>` for each pair and
   * `kms:EncryptionContextKeys` (unless `context` sets it).
   */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/** The outcome, in AWS's terms. */
export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

/** How a principal matched a statement's principal element. */
export type PrincipalMatch =
  /** The statement names this principal (or everyone). */
  | 'direct'
  /** The statement names the principal's account: the account's IAM policies must also allow. */
  | 'account'
  | 'none';
