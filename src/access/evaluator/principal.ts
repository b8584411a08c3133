import { asList, isResolved } from './patterns';
import { PrincipalMatch } from './types';

/** The calling principal, parsed once. */
export interface CallerIdentity {
  /** The principal as given. */
  readonly arn: string;
  /** Account id, undefined for service principals. */
  readonly account?: string;
  /** A service principal such as `logs.amazonaws.com`. */
  readonly service?: string;
  /** For an `assumed-role` session: the ARN of the role (without path), which key policies name. */
  readonly roleArn?: string;
  /** True for the account root (`arn:...:iam::<account>:root` or a bare account id). */
  readonly isRoot: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:([^:]+):(iam|sts)::(\d{12}):(.+)$/;

/** Parses the caller of a request. */
export function parseCaller(principal: string): CallerIdentity {
  if (ACCOUNT_ID.test(principal)) {
    return { arn: `arn:aws:iam::${principal}:root`, account: principal, isRoot: true };
  }
  const arn = IAM_ARN.exec(principal);
  if (arn) {
    const [, partition, service, account, resource] = arn;
    const session = service === 'sts' ? /^assumed-role\/([^/]+)\/.+$/.exec(resource) : null;
    return {
      arn: principal,
      account,
      isRoot: service === 'iam' && resource === 'root',
      roleArn: session ? `arn:${partition}:iam::${account}:role/${session[1]}` : undefined,
    };
  }
  return { arn: principal, service: principal, isRoot: false };
}

/** The account whose root an AWS principal entry names (`123456789012` or `arn:...:root`), if any. */
export function accountOfRootEntry(entry: string): string | undefined {
  if (ACCOUNT_ID.test(entry)) return entry;
  const arn = IAM_ARN.exec(entry);
  return arn && arn[2] === 'iam' && arn[4] === 'root' ? arn[3] : undefined;
}

function matchAwsEntry(entry: string, caller: CallerIdentity): PrincipalMatch {
  if (entry === '*') return 'direct';
  if (caller.service) return 'none';
  const rootAccount = accountOfRootEntry(entry);
  if (rootAccount !== undefined) {
    if (rootAccount !== caller.account) return 'none';
    return caller.isRoot ? 'direct' : 'account';
  }
  return entry === caller.arn || entry === caller.roleArn ? 'direct' : 'none';
}

const STRONGEST: PrincipalMatch[] = ['direct', 'account', 'none'];

function strongest(matches: PrincipalMatch[]): PrincipalMatch {
  return STRONGEST.find((m) => matches.includes(m)) ?? 'none';
}

/**
 * How a `Principal` element names the caller: `*`, `{"AWS": ...}` (ARNs, account ids, roots, `*`),
 * `{"Service": ...}`. Federated and canonical-user principals never match a KMS caller.
 */
export function matchPrincipalElement(element: unknown, caller: CallerIdentity): PrincipalMatch {
  if (element === '*') return 'direct';
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return 'none';
  const matches: PrincipalMatch[] = [];
  for (const [type, values] of Object.entries(element as Record<string, unknown>)) {
    for (const value of asList(values).filter(isResolved)) {
      if (type === 'AWS') matches.push(matchAwsEntry(value, caller));
      else if (type === 'Service') matches.push(value === caller.service || value === '*' ? 'direct' : 'none');
    }
  }
  return strongest(matches);
}
