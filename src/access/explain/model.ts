/**
 * The access matrix: for every KMS key in the loaded templates, who (rows) can do what (columns),
 * computed by our key-policy evaluator over the key policy and the IAM policies of the same templates.
 */
import { CAPABILITIES } from './capabilities';
import { analyseCell, Cell } from './cell';
import { IdentityIndex, identityPrincipals } from './identity';
import { ExplainInput, ResourceNames, THIS_ACCOUNT } from './principals';
import { branchVariants, keyPolicyDocument, unresolvedParts } from '../../lint/key-policy';
import { isPrimaryStack, PrimaryKeyLink, primaryKeyLink } from '../../lint/replica-link';
import { KEY_TYPES, KMS_CUSTOM_STORE_KEY, KMS_REPLICA_KEY } from '../../lint/rule';
import { CfnResource, constructPath, isOpaque, Resolved, resolveIntrinsics, toArray } from '../../lint/template';
import { accountOfRootEntry, CallerIdentity, parseCaller, PolicyDocument, statementsOf } from '../evaluator';
import { keyKindOf } from '../keys';

/** Where a row comes from. */
export type RowSource =
  /** Named in the key policy. */
  | 'key-policy'
  /** A role or user of the templates whose IAM policies reach the key through the account-root delegation. */
  | 'iam-policy'
  /** Stands for every other IAM principal of the account (the reach of the account-root delegation). */
  | 'account-iam';

export interface MatrixRow {
  readonly principal: string;
  readonly source: RowSource;
  /** One cell per capability id. */
  readonly cells: Readonly<Record<string, Cell>>;
}

export interface KeyMatrix {
  readonly stackName: string;
  readonly logicalId: string;
  readonly constructPath?: string;
  readonly resourceType: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  /**
   * The `Fn::If` branches this matrix is for (`when IsProd is true`): a key policy with `Fn::If`
   * gets one matrix per combination of branches. Undefined without `Fn::If`.
   */
  readonly branch?: string;
  /** Parts of the key policy that cannot be resolved offline and are not in the rows (see `unresolvedParts`). */
  readonly unresolved: readonly string[];
  readonly rows: readonly MatrixRow[];
  /** For a replica key: the Region of its stack, when known. */
  readonly region?: string;
  /** For a replica key: its primary (`<stack> / <logical id>`, or the ARN the template gives). */
  readonly primaryKey?: string;
}

export interface AccessReport {
  readonly capabilities: readonly { readonly id: string; readonly label: string }[];
  readonly keys: readonly KeyMatrix[];
}

/** A principal a row is computed for: the caller the evaluator plays and its IAM policies. */
export interface RowCandidate {
  readonly label: string;
  readonly caller: CallerIdentity;
  readonly identityPolicies: readonly PolicyDocument[];
  readonly source: RowSource;
}

/** Stands for any principal of this account that the key policy reaches through `*` or NotPrincipal. */
const ANYONE = `arn:aws:iam::${THIS_ACCOUNT}:role/anyone`;
const ALLOW_ALL: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** Builds the access matrix of every key in the templates. */
export function explainTemplates(inputs: readonly ExplainInput[]): AccessReport {
  return { capabilities: CAPABILITIES.map(({ id, label }) => ({ id, label })), keys: explainKeys(inputs).map((key) => key.matrix) };
}

/** A key's matrix, the principals of its rows, and its row for any other principal (the diff asks BASE about HEAD's principals). */
export interface ExplainedKey {
  readonly matrix: KeyMatrix;
  /** The principals of the matrix's rows, by label. */
  readonly candidates: ReadonlyMap<string, RowCandidate>;
  /** The row of a principal, with the IAM policies these templates give it when it is one of their roles or users. */
  rowFor(candidate: RowCandidate): MatrixRow;
}

/** Like explainTemplates, keeping what it takes to compute more rows. */
export function explainKeys(inputs: readonly ExplainInput[]): ExplainedKey[] {
  const contexts = inputs.map((input) => {
    const names = new ResourceNames(input);
    return { input, names, identities: identityPrincipals(input.stackName, input.template, names) };
  });
  const identities = new IdentityIndex(contexts.flatMap((c) => c.identities));
  const keys = contexts.flatMap(({ input, names }) =>
    Object.entries(input.template.Resources ?? {})
      .filter(([, resource]) => KEY_TYPES.includes(resource.Type))
      .flatMap(([logicalId, resource]) => {
        const props = resource.Properties ?? {};
        const keyArn = names.arnOf(logicalId)!;
        // A replica has its primary's spec and usage: known when the primary is in the input; a key
        // in a custom key store is always symmetric.
        const link = resource.Type === KMS_REPLICA_KEY ? primaryKeyLink(resource) : undefined;
        const primary = link ? primaryResource(inputs, link) : undefined;
        const specOf = primary?.Properties ?? props;
        const isKey = resource.Type === 'AWS::KMS::Key' || resource.Type === KMS_CUSTOM_STORE_KEY || primary !== undefined;
        const keySpec = typeof specOf.KeySpec === 'string' ? specOf.KeySpec : isKey ? 'SYMMETRIC_DEFAULT' : 'unknown';
        const keyUsage = typeof specOf.KeyUsage === 'string' ? specOf.KeyUsage : isKey ? 'ENCRYPT_DECRYPT' : 'unknown';
        const path = constructPath(resource);
        const replicaOf = link ? `${link.stackPath ?? link.stackName} / ${link.logicalId}` : literalPrimaryArn(props.PrimaryKeyArn);
        const replicaFacts = resource.Type === KMS_REPLICA_KEY ? { region: input.region, primaryKey: replicaOf ?? 'unknown (given at deploy time)' } : {};
        const policyAsWritten = keyKindOf(resource)?.keyPolicy(props) ?? props.KeyPolicy;
        // The same reading of the policy as lint's: JSON strings parsed, one matrix per Fn::If branch.
        const { variants, notJudged } = branchVariants((options) =>
          keyPolicyDocument(resolveIntrinsics(policyAsWritten, input.template, options), input.template, options));
        return variants.map(({ branch, value: written }): ExplainedKey => {
          const keyPolicy = principalsResolved(names.concretize(written), names);
          const { rows, candidates, rowOf } = rowsOf(keyPolicy, keyArn, keySpec, keyUsage, identities, names);
          const unresolved = [...unresolvedParts(written), ...(notJudged ? [notJudged] : [])].map((part) => names.displayName(part));
          const { stackName } = input;
          const matrix: KeyMatrix = {
            stackName, logicalId, constructPath: path, resourceType: resource.Type, keySpec, keyUsage, branch, unresolved, rows, ...replicaFacts,
          };
          const rowFor = (candidate: RowCandidate) => {
            const known = candidate.caller.service ? undefined : identities.withArn(candidate.caller.arn);
            return rowOf(known ? { ...candidate, identityPolicies: known.policies } : candidate);
          };
          return { matrix, candidates: new Map(candidates.map((c) => [c.label, c])), rowFor };
        });
      }),
  );
  return keys;
}

/** The primary key resource a replica's metadata names, when it is among the inputs. */
function primaryResource(inputs: readonly ExplainInput[], link: PrimaryKeyLink): CfnResource | undefined {
  const input = inputs.find((i) => isPrimaryStack(link, i.stackName) && i.template.Resources?.[link.logicalId]?.Type === 'AWS::KMS::Key');
  return input?.template.Resources?.[link.logicalId];
}

/** A PrimaryKeyArn written literally in the template. */
function literalPrimaryArn(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function rowsOf(
  keyPolicy: PolicyDocument,
  keyArn: string,
  keySpec: string,
  keyUsage: string,
  identities: IdentityIndex,
  names: ResourceNames,
): { rows: MatrixRow[]; candidates: RowCandidate[]; rowOf: (candidate: RowCandidate) => MatrixRow } {
  // A replica's spec is its primary's, not in the template: most are symmetric.
  const symmetric = keySpec === 'SYMMETRIC_DEFAULT' || keySpec === 'unknown';
  const rowOf = (candidate: RowCandidate): MatrixRow => {
    const cells: Record<string, Cell> = {};
    for (const capability of CAPABILITIES) {
      const applicable = !capability.usages || keyUsage === 'unknown' || capability.usages.includes(keyUsage);
      const cell = applicable
        ? analyseCell({ ...candidate, keyPolicy, keyArn, keyAccount: THIS_ACCOUNT }, capability.actions(symmetric))
        : { status: 'not-applicable' as const, conditions: [], allowedActions: [] };
      cells[capability.id] = { ...cell, conditions: cell.conditions.map((c) => names.displayName(c)) };
    }
    return { principal: candidate.label, source: candidate.source, cells };
  };
  const namedCandidates = keyPolicyPrincipals(keyPolicy, identities, names);
  const named = namedCandidates.map(rowOf);
  const anyIamCandidate: RowCandidate = {
    label: 'any other IAM principal of this account whose IAM policies allow it',
    caller: parseCaller(`arn:aws:iam::${THIS_ACCOUNT}:role/any-iam-principal`),
    identityPolicies: [ALLOW_ALL],
    source: 'account-iam',
  };
  const anyIam = rowOf(anyIamCandidate);
  // An allow-everything IAM policy reaches at least as far as any real one: without the account-root
  // delegation, no IAM policy reaches the key.
  if (!reachesViaIam(anyIam)) return { rows: named, candidates: namedCandidates, rowOf };
  const namedArns = new Set(named.map((row) => row.principal));
  const viaIam = identities.mayAllowOn(keyArn)
    .filter((identity) => !namedArns.has(identity.label))
    .map((identity): RowCandidate => ({ label: identity.label, caller: parseCaller(identity.arn), identityPolicies: identity.policies, source: 'iam-policy' }))
    .map((candidate) => ({ candidate, row: rowOf(candidate) }))
    .filter(({ row }) => reachesViaIam(row));
  return {
    rows: [...named, ...viaIam.map((v) => v.row), anyIam],
    candidates: [...namedCandidates, ...viaIam.map((v) => v.candidate), anyIamCandidate],
    rowOf,
  };
}

/** Principals not named in the key policy get a row when the account-root delegation lets them in (a `*` row already covers the rest). */
function reachesViaIam(row: MatrixRow): boolean {
  return Object.values(row.cells).some((cell) => cell.via === 'iam');
}

/** Rows for the principals named by the key policy's Allow statements, in order of first appearance. */
function keyPolicyPrincipals(keyPolicy: PolicyDocument, identities: IdentityIndex, names: ResourceNames): RowCandidate[] {
  const candidates = new Map<string, RowCandidate>();
  const add = (label: string, principal: string, identityPolicies: readonly PolicyDocument[] = []) => {
    if (!candidates.has(label)) candidates.set(label, { label, caller: parseCaller(principal), identityPolicies, source: 'key-policy' });
  };
  for (const statement of statementsOf(keyPolicy)) {
    if (statement.Effect !== 'Allow') continue;
    if (statement.Principal === '*') add('anyone (*)', ANYONE);
    if (statement.NotPrincipal !== undefined) add(`anyone except ${principalList(statement.NotPrincipal, names)}`, ANYONE);
    const element = typeof statement.Principal === 'object' && statement.Principal !== null ? (statement.Principal as Record<string, unknown>) : {};
    for (const value of toArray(element.AWS as Resolved)) {
      if (typeof value !== 'string') continue;
      const account = accountOfRootEntry(value);
      const identity = identities.withArn(value);
      if (value === '*') add('anyone (*)', ANYONE);
      else if (account === THIS_ACCOUNT) add('this account (root)', `arn:aws:iam::${account}:root`);
      else if (account) add(`account ${account}`, `arn:aws:iam::${account}:root`, [ALLOW_ALL]);
      else if (identity) add(identity.label, identity.arn, identity.policies);
      // A principal of another account also needs its own account's IAM policies, which these
      // templates cannot show: assume they allow, and the cells say "cross-account".
      else add(names.displayName(value), value, parseCaller(value).account === THIS_ACCOUNT ? [] : [ALLOW_ALL]);
    }
    for (const value of toArray(element.Service as Resolved)) {
      if (typeof value === 'string') add(`service ${value}`, value);
    }
  }
  return [...candidates.values()];
}

/** The principals of a NotPrincipal element, as the template names them. */
function principalList(element: unknown, names: ResourceNames): string {
  if (typeof element !== 'object' || element === null) return String(element);
  return Object.values(element as Record<string, Resolved>).flatMap((v) => toArray(v)).map((v) => names.displayName(String(v))).join(', ');
}

/** Unresolved AWS principals (e.g. `Fn::ImportValue`) become synthetic ARNs of their own. */
function principalsResolved(policy: Resolved, names: ResourceNames): PolicyDocument {
  const document = (typeof policy === 'object' && policy !== null && !Array.isArray(policy) && !isOpaque(policy) ? policy : {}) as PolicyDocument;
  const statements = toArray(document.Statement as Resolved).map((statement) => {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement) || isOpaque(statement)) return statement;
    const copy: Record<string, Resolved> = { ...statement };
    for (const key of ['Principal', 'NotPrincipal']) {
      const element = copy[key];
      if (isOpaque(element)) {copy[key] = { AWS: names.opaquePrincipalArn(element) };} else if (typeof element === 'object' && element !== null && !Array.isArray(element)) {
        const aws = (element as Record<string, Resolved>).AWS;
        if (aws !== undefined) {
          const resolved = toArray(aws).map((v) => (isOpaque(v) ? names.opaquePrincipalArn(v) : v));
          copy[key] = { ...(element as Record<string, Resolved>), AWS: resolved };
        }
      }
    }
    return copy;
  });
  return { ...document, Statement: statements };
}
