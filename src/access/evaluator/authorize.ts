import { CallerIdentity } from './principal';
import { ApplicableStatement } from './statement';
import { Decision } from './types';

/**
 * Why a request is allowed:
 * - `key-policy`: the key policy names the caller (or everyone), same account;
 * - `iam`: the key policy allows the caller's account root, and the caller's IAM policies allow it;
 * - `cross-account`: the key policy allows the caller or its account, and the caller's IAM policies allow it.
 */
export type AllowedBy = 'key-policy' | 'iam' | 'cross-account';

/** A decision and, for Allow, the path that allowed it. */
export interface Authorization {
  readonly decision: Decision;
  readonly allowedBy?: AllowedBy;
}

/**
 * KMS authorization over statements that apply (conditions already evaluated): an explicit deny in
 * the key policy or the caller's IAM policies wins; otherwise the key policy must allow the caller
 * itself, or allow its account root (then IAM policies must allow too); a caller from another
 * account always needs both. Service principals have no IAM policies; an account root user needs none.
 */
export function authorize(
  key: readonly ApplicableStatement[],
  identity: readonly ApplicableStatement[],
  caller: CallerIdentity,
  keyAccount: string | undefined,
): Authorization {
  if (key.some((s) => s.effect === 'Deny') || identity.some((s) => s.effect === 'Deny')) {
    return { decision: 'ExplicitDeny' };
  }
  const direct = key.some((s) => s.effect === 'Allow' && s.principal === 'direct');
  const viaAccount = key.some((s) => s.effect === 'Allow' && s.principal === 'account');
  // The account root user holds every IAM permission of its own account.
  const iamAllows = caller.isRoot || (!caller.service && identity.some((s) => s.effect === 'Allow'));
  const sameAccount = caller.account !== undefined && caller.account === keyAccount;
  if (caller.service || sameAccount) {
    if (direct) return { decision: 'Allow', allowedBy: 'key-policy' };
    if (viaAccount && iamAllows) return { decision: 'Allow', allowedBy: 'iam' };
  } else if ((direct || viaAccount) && iamAllows) {
    return { decision: 'Allow', allowedBy: 'cross-account' };
  }
  return { decision: 'ImplicitDeny' };
}
