/**
 * What a principal resolves to, whatever form it was given in. Separation of duties, the wildcard
 * check and the service-principal rules compare principals through this module, never by object
 * identity or by the class the caller happened to use.
 *
 * How it covers every form: it reads the principal's policy fragment (the JSON the principal
 * writes into a policy), so a CompositePrincipal, PrincipalWithConditions, OrganizationPrincipal,
 * StarPrincipal, AnyPrincipal, ArnPrincipal, AccountPrincipal, an imported role and a role of this
 * app all arrive as the same `{ "<kind>": [values] }` shape. Values are resolved in the key's stack
 * and intrinsics are folded (`Fn::Join`, `Fn::Sub`, pseudo parameters) by the linter's resolver,
 * and ARNs are reduced to what IAM treats as one identity (account + role or user name: names
 * are unique per account whatever their path or case, and an assumed-role session is its role).
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { isOpaque, resolveIntrinsics } from '../lint/template';

/** aws-cdk-lib writes StarPrincipal as `{ "LiteralString": ["*"] }`, rendered as `"Principal": "*"`. */
const LITERAL_STRING_KEY = 'LiteralString';

/** One principal as it appears in a policy. */
export interface PrincipalIdentity {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for `"Principal": "*"`. */
  readonly kind: string;
  /** The resolved value for messages (`arn:${AWS::Partition}:iam::111122223333:role/app`, `${Role.Arn}`). */
  readonly text: string;
  /** Comparable keys: two identities are the same principal when their keys meet. */
  readonly keys: string[];
  /** Everyone: `*`, `{"AWS": "*"}` (or any kind with the value `*`). */
  readonly everyone: boolean;
  /** A wildcard inside a longer value (`arn:aws:iam::*:root`): KMS takes `*` only on its own. */
  readonly partialWildcard: boolean;
  /** An IAM group: KMS does not accept groups as principals of a key policy. */
  readonly group: boolean;
  /** Why aws-cdk-lib cannot write this principal into a policy at all (e.g. `*` merged into a composite). */
  readonly unrenderable?: string;
}

/** The identities a principal resolves to in the stack of `scope` (one per principal in a composite). */
export function principalIdentities(principal: iam.IPrincipal, scope: IConstruct): PrincipalIdentity[] {
  const stack = Stack.of(scope);
  const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
  let json: Record<string, unknown>;
  try {
    json = stack.resolve(principal.policyFragment.principalJson);
  } catch (error) {
    // aws-cdk-lib refuses some principals only when they are rendered (`*` merged into a composite).
    return [{ kind: '?', text: principal.toString(), keys: [], everyone: false, partialWildcard: false, group: false, unrenderable: (error as Error).message }];
  }
  const identities: PrincipalIdentity[] = [];
  for (const [rawKind, values] of Object.entries(json ?? {})) {
    const kind = rawKind === LITERAL_STRING_KEY ? '*' : rawKind;
    for (const value of Array.isArray(values) ? values : [values]) {
      identities.push(identityOf(kind, resolveIntrinsics(value), account));
    }
  }
  // A Group of this app resolves to an opaque GetAtt; aws-cdk-lib refuses it only when it builds the statement.
  if (principal instanceof iam.Group) return identities.map((identity) => ({ ...identity, group: true }));
  const extra = namedRoleKey(principal, stack, account);
  return extra && identities.length === 1 ? [{ ...identities[0], keys: [...identities[0].keys, extra] }] : identities;
}

/** True when some identity of `a` is some identity of `b`. */
export function sameIdentity(a: PrincipalIdentity[], b: PrincipalIdentity[]): boolean {
  const keys = new Set(a.flatMap((identity) => identity.keys));
  return b.some((identity) => identity.keys.some((key) => keys.has(key)));
}

/** A readable name of a principal for messages: its construct path, or what it resolves to. */
export function principalName(principal: iam.IPrincipal, scope: IConstruct): string {
  const construct = principal as Partial<IConstruct>;
  if (construct.node && typeof construct.node.path === 'string') return construct.node.path;
  return principalIdentities(principal, scope).map((identity) => identity.text).join(' + ') || principal.toString();
}

/** An IAM or STS ARN; partition and account may still be `${AWS::...}` placeholders (which hold colons). */
const ARN = /^arn:(?:\$\{AWS::Partition\}|[^:]*):(iam|sts)::(\$\{AWS::AccountId\}|[^:]*):(.+)$/;

function identityOf(kind: string, value: unknown, ownAccount: string | undefined): PrincipalIdentity {
  const text = isOpaque(value) ? value.text : typeof value === 'string' ? value : JSON.stringify(value);
  const concrete = typeof value === 'string';
  const everyone = concrete && text === '*';
  const partialWildcard = concrete && !everyone && /[*?]/.test(text);
  const keys = [`${kind}:${text}`];
  let group = false;
  if (kind === 'AWS' && concrete) {
    const iamKey = iamIdentityKey(text, ownAccount);
    if (iamKey) keys.push(iamKey);
    group = iamKey?.startsWith('group:') ?? false;
  }
  if (kind === 'Service' && concrete) keys.push(`Service:${text.toLowerCase()}`);
  if (everyone) keys.push('*');
  return { kind, text, keys, everyone, partialWildcard, group };
}

/** `root:<acct>`, `role:<acct>:<name>`, `user:<acct>:<name>`, `group:<acct>:<name>` for IAM and STS ARNs. */
function iamIdentityKey(value: string, ownAccount: string | undefined): string | undefined {
  if (/^\d{12}$/.test(value)) return `root:${value}`;
  const match = ARN.exec(value);
  if (!match) return undefined;
  const [, service, rawAccount, resource] = match;
  const account = rawAccount === '${AWS::AccountId}' && ownAccount ? ownAccount : rawAccount;
  if (service === 'iam' && resource === 'root') return `root:${account}`;
  const parts = resource.split('/');
  const type = parts[0];
  if (service === 'sts' && type === 'assumed-role' && parts.length >= 3) return `role:${account}:${parts[1].toLowerCase()}`;
  if (service === 'iam' && ['role', 'user', 'group'].includes(type) && parts.length >= 2) {
    return `${type}:${account}:${parts[parts.length - 1].toLowerCase()}`;
  }
  return `${service}:${account}:${resource}`;
}

/** A role of this app with a physical name is the same principal as a literal ARN naming it. */
function namedRoleKey(principal: iam.IPrincipal, stack: Stack, ownAccount: string | undefined): string | undefined {
  if (!(principal instanceof iam.Role)) return undefined;
  // The name given in RoleProps; roleName itself resolves to a Ref in its own stack.
  const given = (principal.node.defaultChild as iam.CfnRole | undefined)?.roleName;
  const name = given === undefined || Token.isUnresolved(given) ? undefined : given;
  const roleAccount = principal.stack.account;
  const account = !Token.isUnresolved(roleAccount) ? roleAccount : principal.stack === stack ? (ownAccount ?? '${AWS::AccountId}') : undefined;
  return typeof name === 'string' && account ? `role:${account}:${name.toLowerCase()}` : undefined;
}

/** The conditions a principal brings into every statement that names it (PrincipalWithConditions). */
export function ownConditions(principal: iam.IPrincipal): Record<string, Record<string, any>> {
  return (principal.policyFragment.conditions ?? {}) as Record<string, Record<string, any>>;
}
