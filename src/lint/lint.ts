/**
 * Runs the lint rules over a template or one resource: the pure API behind the cdk-nag pack, the
 * policy-validation plugin and the CLI.
 */
import { LintFinding } from './finding';
import { Rule, RuleContext, ruleContext, Violation } from './rule';
import { RULES } from './rules';
import { CfnResource, CfnTemplate, constructPath, isPlainObject } from './template';

/**
 * The findings of one rule on one resource. With `Fn::If` in the resource the rule judges every
 * combination of branches; a finding that holds only in some says which (`when IsProd is true`).
 */
export function ruleFindings(rule: Rule, context: RuleContext): LintFinding[] {
  if (!rule.resourceTypes.includes(context.resource.Type)) return [];
  const byFinding = new Map<string, { violation: Violation; branches: (string | undefined)[] }>();
  for (const variant of context.variants) {
    for (const violation of rule.check(variant)) {
      // Not keyed by location: a statement removed by AWS::NoValue in one branch moves the later ones.
      const key = `${violation.severity ?? rule.severity}\n${violation.message}`;
      const seen = byFinding.get(key);
      if (seen) seen.branches.push(variant.branch);
      else byFinding.set(key, { violation, branches: [variant.branch] });
    }
  }
  return [...byFinding.values()].map(({ violation, branches }) => ({
    ruleId: rule.id,
    severity: violation.severity ?? rule.severity,
    message: violation.message + branchNote(branches, context.variants.length),
    fix: rule.fix,
    logicalId: context.logicalId,
    resourceType: context.resource.Type,
    path: constructPath(context.resource),
    location: violation.location,
  }));
}

/** ` (when IsProd is true)` for a finding of some branches only; nothing when it holds in all. */
function branchNote(branches: (string | undefined)[], of: number): string {
  if (branches.length === of || branches[0] === undefined) return '';
  const more = branches.length > 1 ? ` and ${branches.length - 1} other combination${branches.length > 2 ? 's' : ''}` : '';
  return ` (${branches[0]}${more})`;
}

/** Lints one resource; `template` supplies parameters and mappings for intrinsic resolution. */
export function lintResource(logicalId: string, resource: CfnResource, template: CfnTemplate = {}, rules: readonly Rule[] = RULES): LintFinding[] {
  if (!rules.some((rule) => rule.resourceTypes.includes(resource.Type))) return [];
  const context = ruleContext(logicalId, resource, template);
  return rules.flatMap((rule) => ruleFindings(rule, context));
}

/** Lints every KMS key, replica key and CloudTrail trail of a template. */
export function lintTemplate(template: CfnTemplate, rules: readonly Rule[] = RULES): LintFinding[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => isPlainObject(resource) && typeof resource.Type === 'string')
    .flatMap(([logicalId, resource]) => lintResource(logicalId, resource, template, rules));
}
