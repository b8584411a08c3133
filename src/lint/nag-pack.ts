import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { LintSeverity } from './finding';
import { ruleFindings } from './lint';
import { Rule, RuleContext, ruleContext } from './rule';
import { RULES } from './rules';
import { CfnResource as CfnResourceJson } from './template';

const LEVELS: Record<LintSeverity, NagMessageLevel> = {
  [LintSeverity.ERROR]: NagMessageLevel.ERROR,
  [LintSeverity.WARNING]: NagMessageLevel.WARN,
};

const LINTED_TYPES = new Set(RULES.flatMap((rule) => rule.resourceTypes));

/**
 * The key-policy lint rules as a cdk-nag (2.x) rule pack: `Aspects.of(app).add(new KmsPatternsChecks())`.
 *
 * Rule ids are `KmsPatterns-KMS1` … `KmsPatterns-KMS13` (see `KeyPolicyLinter.rules()`); suppress one
 * with `NagSuppressions.addResourceSuppressions(key, [{ id: 'KmsPatterns-KMS5', reason: '...' }])`,
 * optionally narrowed with `appliesTo` to a finding such as `Properties.KeyPolicy.Statement.2`.
 */
export class KmsPatternsChecks extends NagPack {
  constructor(props?: NagPackProps) {
    super(props);
    this.packName = 'KmsPatterns';
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || !LINTED_TYPES.has(node.cfnResourceType)) return;
    const context = resolvedContext(node);
    for (const rule of RULES) {
      if (!rule.resourceTypes.includes(node.cfnResourceType)) continue;
      const severities = rule.alsoWarns ? [rule.severity, LintSeverity.WARNING] : [rule.severity];
      for (const severity of severities) {
        this.applyRule({
          ruleSuffixOverride: rule.id,
          info: `${rule.name}: ${rule.description}`,
          explanation: `Fix: ${rule.fix}`,
          level: LEVELS[severity],
          node,
          rule: nagRule(rule, severity, context),
        });
      }
    }
  }
}

/** The resource as CloudFormation JSON (tokens resolved to intrinsics), ready for the pure rules. */
function resolvedContext(node: CfnResource): RuleContext {
  const stack = Stack.of(node);
  const logicalId: string = stack.resolve(node.logicalId);
  const rendered = stack.resolve((node as any)._toCloudFormation()) as { Resources: Record<string, CfnResourceJson> };
  return ruleContext(logicalId, rendered.Resources[logicalId], rendered);
}

/** A cdk-nag rule callback reporting one rule's findings of one severity, each with its own finding id. */
function nagRule(rule: Rule, severity: LintSeverity, context: RuleContext) {
  const check = (_node: CfnResource) => {
    const findings = ruleFindings(rule, context).filter((finding) => finding.severity === severity);
    if (findings.length === 0) return NagRuleCompliance.COMPLIANT;
    return [...new Set(findings.map((finding) => finding.location ?? 'resource'))];
  };
  Object.defineProperty(check, 'name', { value: rule.id });
  return check;
}
