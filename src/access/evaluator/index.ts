/**
 * Our KMS key-policy evaluator (pure; no AGPL code): decides Allow / ImplicitDeny / ExplicitDeny for
 * a request to use a key, from the key policy and the caller's IAM policies, following KMS
 * authorization. `explain` builds its access matrix on it; tests compare it with iam-simulate.
 *
 * Not modelled: grants, SCPs/RCPs, permission boundaries, session and VPC endpoint policies, policy
 * variables (`${aws:username}` is compared literally), and global condition keys that AWS derives
 * from the caller (`aws:PrincipalArn`, `kms:CallerAccount`, ...): pass them in `context`.
 */
export * from './types';
export * from './evaluate';
export * from './authorize';
export * from './statement';
export * from './principal';
export * from './conditions';
export * from './context';
