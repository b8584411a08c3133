/**
 * KMS13 `replica-differs-from-primary`: a rule over a set of templates, not one resource. A replica
 * key whose primary is in the linted input (a cloud assembly with several stacks, or several
 * template files) must give the same principals the same capabilities under the same conditions,
 * Region-specific values aside. Both keys go through the access matrix of explain (our evaluator),
 * each with its own Region made `${AWS::Region}`, so a `kms:ViaService` endpoint of the replica's
 * Region equals the primary's, and statement layout (merging, order, Sids) does not matter.
 */
import { LintFinding, LintSeverity } from './finding';
import { isPrimaryStack, PrimaryKeyLink, primaryKeyLink } from './replica-link';
import { KMS_REPLICA_KEY } from './rule';
import { CfnTemplate, constructPath, isPlainObject } from './template';
import { explainTemplates, KeyMatrix } from '../access/explain/model';

/** The rule's description, as `KeyPolicyLinter.rules()` lists it. */
export const REPLICA_RULE = {
  id: 'KMS13',
  name: 'replica-differs-from-primary',
  severity: LintSeverity.WARNING,
  resourceTypes: [KMS_REPLICA_KEY],
  description: 'A replica key gives principals other capabilities or conditions than its primary (both in the linted input; Region-specific values aside)',
  fix: 'Make replicas with MultiRegionKey.replicateTo (they take the primary\'s roles), or give the primary and the replica the same administrators, users and services',
} as const;

/** A template with the name the linted input gives it (stack name or display name). */
export interface NamedTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** A finding of KMS13 with the template it belongs to. */
export interface ReplicaFinding {
  readonly stackName: string;
  readonly finding: LintFinding;
}

/** KMS13 over every replica of the input whose primary is in the input too. */
export function lintReplicas(templates: readonly NamedTemplate[]): ReplicaFinding[] {
  return templates.flatMap((replicaTemplate) =>
    Object.entries(replicaTemplate.template.Resources ?? {}).flatMap(([logicalId, resource]) => {
      if (!isPlainObject(resource) || resource.Type !== KMS_REPLICA_KEY) return [];
      const link = primaryKeyLink(resource);
      const primaryTemplate = link && templates.find((t) => isPrimaryStack(link, t.stackName) && t.template.Resources?.[link.logicalId]?.Type === 'AWS::KMS::Key');
      if (!link || !primaryTemplate) return [];
      const differences = compare(link, primaryTemplate, replicaTemplate, logicalId);
      if (differences.length === 0) return [];
      const shown = differences.slice(0, 3).join('; ') + (differences.length > 3 ? `; and ${differences.length - 3} more` : '');
      const finding: LintFinding = {
        ruleId: REPLICA_RULE.id,
        severity: REPLICA_RULE.severity,
        message: `the replica's key policy differs from its primary ${primaryTemplate.stackName}/${link.logicalId}: ${shown}`,
        fix: REPLICA_RULE.fix,
        logicalId,
        resourceType: KMS_REPLICA_KEY,
        path: constructPath(resource),
        location: 'Properties.KeyPolicy',
      };
      return [{ stackName: replicaTemplate.stackName, finding }];
    }),
  );
}

/** Differences of capability cells, principal by principal, as sentences. */
function compare(link: PrimaryKeyLink, primary: NamedTemplate, replica: NamedTemplate, replicaLogicalId: string): string[] {
  const report = explainTemplates([
    { stackName: primary.stackName, template: primary.template, account: link.account, region: link.region },
    { stackName: replica.stackName, template: replica.template, account: link.account, region: link.replicaRegion },
  ]);
  const find = (stackName: string, logicalId: string) => report.keys.find((k) => k.stackName === stackName && k.logicalId === logicalId);
  const primaryCells = grantedCells(find(primary.stackName, link.logicalId), link.region);
  const replicaCells = grantedCells(find(replica.stackName, replicaLogicalId), link.replicaRegion);
  const differences: string[] = [];
  for (const principal of new Set([...primaryCells.keys(), ...replicaCells.keys()])) {
    const mine = replicaCells.get(principal) ?? new Map<string, string>();
    const theirs = primaryCells.get(principal) ?? new Map<string, string>();
    for (const capability of new Set([...mine.keys(), ...theirs.keys()])) {
      const here = mine.get(capability) ?? 'denied';
      const there = theirs.get(capability) ?? 'denied';
      if (here !== there) differences.push(`${principal} may ${capability}: ${here} here, ${there} on the primary`);
    }
  }
  return differences;
}

/**
 * Principal -> capability -> cell text, for the key policy's rows and the cells that grant
 * something. A replica's template does not say its key spec, so cells not applicable to either
 * key are left out by the caller's union only when they grant nothing.
 */
function grantedCells(matrix: KeyMatrix | undefined, region: string | undefined): Map<string, Map<string, string>> {
  // Each key's own Region (explain spells out a known environment) is set aside: kms:ViaService
  // endpoints and the like name the Region of the key they are in.
  const regionless = (condition: string) => (region ? condition.split(region).join('<its Region>') : condition);
  const result = new Map<string, Map<string, string>>();
  for (const row of matrix?.rows ?? []) {
    if (row.source !== 'key-policy') continue;
    const cells = new Map<string, string>();
    for (const [capability, cell] of Object.entries(row.cells)) {
      if (cell.status === 'denied' || cell.status === 'not-applicable') continue;
      const conditions = cell.conditions.length > 0 ? ` if ${cell.conditions.map(regionless).sort().join(' and ')}` : '';
      const partly = cell.status === 'partial' ? ` (${cell.allowedActions.join(', ')})` : '';
      cells.set(capability, `${cell.status}${partly}${conditions}`);
    }
    if (cells.size > 0) result.set(regionless(row.principal), cells);
  }
  return result;
}
