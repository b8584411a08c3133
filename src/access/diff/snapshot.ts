/**
 * One side of a diff (BASE or HEAD): every key of the loaded templates with its aliases, lifecycle
 * facts, posture and access matrix, and the lint findings of every template.
 */
import { LintFinding } from '../../lint/finding';
import { lintTemplate } from '../../lint/lint';
import { CfnTemplate, constructPath, isOpaque, resolveIntrinsics } from '../../lint/template';
import { AccessReport, CAPABILITIES, ExplainedKey, explainKeys, ExplainInput, KeyMatrix } from '../explain';
import { factOf, KeyFacts, keyKindOf, propertiesOf } from '../keys';

/**
 * How the key policy lets IAM in: `IAM_DELEGATED` when the account-root statement lets any IAM
 * principal of the account reach the key through its IAM policies, `STRICT` when only the
 * principals the key policy names can.
 */
export type Posture = 'IAM_DELEGATED' | 'STRICT';

/** How a key is named across BASE and HEAD. */
export interface KeyRef {
  readonly stackName: string;
  readonly logicalId: string;
  readonly constructPath?: string;
  readonly resourceType: string;
  /** Alias names (`alias/...`) of AWS::KMS::Alias resources in the same template that target the key. */
  readonly aliases: readonly string[];
}

/** What the stack does with the key when the resource is removed or replaced. */
export interface Removal {
  /** DeletionPolicy (CloudFormation's default: Delete, which schedules the key for deletion). */
  readonly deletionPolicy: string;
  /** UpdateReplacePolicy (default Delete), applied to the old key when a change replaces it. */
  readonly updateReplacePolicy: string;
}

export interface KeySnapshot extends KeyRef {
  /** The key material lives on elsewhere (a replica's primary): deleting this key deletes none. */
  readonly sharesKeyMaterial: boolean;
  readonly facts: KeyFacts;
  readonly removal: Removal;
  /** The resolved properties whose change replaces the key, as text, by name. */
  readonly replacementProperties: Readonly<Record<string, string | undefined>>;
  readonly posture: Posture;
  readonly matrix: KeyMatrix;
  /** The key as explain sees it: the other side's principals are evaluated against it too. */
  readonly explained: ExplainedKey;
}

/** A lint finding with the stack it was found in. */
export interface StackFinding extends LintFinding {
  readonly stackName: string;
}

export interface Snapshot {
  readonly keys: readonly KeySnapshot[];
  readonly findings: readonly StackFinding[];
  readonly capabilities: AccessReport['capabilities'];
}

/** Builds one side of the diff from its templates (all deploying to one account). */
export function snapshotTemplates(inputs: readonly ExplainInput[]): Snapshot {
  const explained = new Map(explainKeys(inputs).map((key) => [`${key.matrix.stackName}\u0000${key.matrix.logicalId}`, key]));
  const keys: KeySnapshot[] = [];
  const findings: StackFinding[] = [];
  for (const { stackName, template } of inputs) {
    findings.push(...lintTemplate(template).map((finding) => ({ ...finding, stackName })));
    const aliases = aliasesByKey(template);
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const kind = keyKindOf(resource);
      const key = explained.get(`${stackName}\u0000${logicalId}`);
      if (!kind || !key) continue;
      const properties = propertiesOf(resolveIntrinsics(resource.Properties ?? {}, template));
      const replacementProperties: Record<string, string | undefined> = {};
      for (const name of kind.replacedBy) {
        const fact = factOf(properties[name]);
        replacementProperties[name] = fact === undefined ? undefined : String(fact);
      }
      keys.push({
        stackName,
        logicalId,
        constructPath: constructPath(resource),
        resourceType: resource.Type,
        aliases: [...(aliases.get(logicalId) ?? [])].sort(),
        facts: kind.facts(properties),
        sharesKeyMaterial: kind.sharesKeyMaterial === true,
        removal: { deletionPolicy: policyName(resource.DeletionPolicy), updateReplacePolicy: policyName(resource.UpdateReplacePolicy) },
        replacementProperties,
        posture: postureOf(key.matrix),
        matrix: key.matrix,
        explained: key,
      });
    }
  }
  return { keys, findings, capabilities: CAPABILITIES.map(({ id, label }) => ({ id, label })) };
}

function policyName(value: unknown): string {
  if (value === undefined) return 'Delete';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The account-iam row exists (with some access) only when the account-root delegation reaches the key. */
function postureOf(matrix: KeyMatrix): Posture {
  const delegated = matrix.rows.some((row) => row.source === 'account-iam' && Object.values(row.cells).some((cell) => cell.allowedActions.length > 0));
  return delegated ? 'IAM_DELEGATED' : 'STRICT';
}

/** Alias names by the logical id of the key they target (`Ref`, `Fn::GetAtt X.Arn` or `X.KeyId`). */
function aliasesByKey(template: CfnTemplate): Map<string, Set<string>> {
  const resources = template.Resources ?? {};
  const result = new Map<string, Set<string>>();
  for (const resource of Object.values(resources)) {
    if (resource?.Type !== 'AWS::KMS::Alias') continue;
    const properties = propertiesOf(resolveIntrinsics(resource.Properties ?? {}, template));
    const target = properties.TargetKeyId;
    const name = properties.AliasName;
    if (!isOpaque(target) || !target.ref || typeof name !== 'string') continue;
    const names = result.get(target.ref.logicalId) ?? new Set<string>();
    names.add(name);
    result.set(target.ref.logicalId, names);
  }
  return result;
}
