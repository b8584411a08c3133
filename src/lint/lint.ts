/**
 * Runs the lint rules over a template or one resource: the pure API behind the cdk-nag pack, the
 * policy-validation plugin and the CLI.
 */
import { LintFinding } from './finding';
import { Rule, RuleContext, ruleContext } from './rule';
import { RULES } from './rules';
import { CfnResource, CfnTemplate, constructPath, isPlainObject } from './template';

/** The findings of one rule on one resource. */
export function ruleFindings(rule: Rule, context: RuleContext): LintFinding[] {
  if (!rule.resourceTypes.includes(context.resource.Type)) return [];
  return rule.check(context).map((violation) => ({
    ruleId: rule.id,
    severity: violation.severity ?? rule.severity,
    message: violation.message,
    fix: rule.fix,
    logicalId: context.logicalId,
    resourceType: context.resource.Type,
    path: constructPath(context.resource),
    location: violation.location,
  }));
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
