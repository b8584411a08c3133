import { LintFinding, LintSeverity } from './finding';
import { lintResource, lintTemplate } from './lint';
import { lintReplicas, REPLICA_RULE } from './replica-rule';
import { RULES } from './rules';

/** A template with its stack name, for linting several stacks together. */
export interface StackTemplate {
  /** The stack name (a replica key names its primary's stack by it). */
  readonly stackName: string;
  /** The CloudFormation template as JSON. */
  readonly template: any;
}

/** The findings of one template of a set. */
export interface StackFindings {
  /** The stack name, as given. */
  readonly stackName: string;
  /** Its findings: the per-resource rules, then the rules across templates (KMS13). */
  readonly findings: LintFinding[];
}

/**
 * A key-policy lint rule, as documented in the README.
 */
export interface LintRuleInfo {
  /** Stable id, e.g. `KMS1`. */
  readonly id: string;
  /** Short descriptive name, e.g. `wildcard-principal`. */
  readonly name: string;
  /** The highest severity the rule reports. */
  readonly severity: LintSeverity;
  /** True when the rule also reports warnings (e.g. rotation period over 365 days). */
  readonly alsoWarns: boolean;
  /** CloudFormation resource types the rule looks at. */
  readonly resourceTypes: string[];
  /** What the rule checks and why, in one line. */
  readonly description: string;
  /** How to fix a finding, in one line. */
  readonly fix: string;
}

/**
 * The key-policy linter: pure functions over CloudFormation JSON, usable on any template (built
 * with this library, with `kms.Key`, or written by hand). The cdk-nag pack `KmsPatternsChecks`,
 * the policy-validation plugin `KmsPatternsValidator` and the `cdk-kms-patterns lint` CLI all use it.
 */
export class KeyPolicyLinter {
  /**
   * Lints every `AWS::KMS::Key`, `AWS::KMS::ReplicaKey` and `AWS::CloudTrail::Trail` of a template.
   * @param template a CloudFormation template as JSON (intrinsics are resolved where the template allows)
   */
  public static lintTemplate(template: any): LintFinding[] {
    return lintTemplate(template ?? {});
  }

  /**
   * Lints the templates of several stacks together: every template as `lintTemplate` does, plus
   * the rules that compare resources across stacks (KMS13: a replica key against its primary).
   */
  public static lintTemplates(templates: StackTemplate[]): StackFindings[] {
    const across = lintReplicas(templates.map((t) => ({ stackName: t.stackName, template: t.template ?? {} })));
    return templates.map((t) => ({
      stackName: t.stackName,
      findings: [...lintTemplate(t.template ?? {}), ...across.filter((f) => f.stackName === t.stackName).map((f) => f.finding)],
    }));
  }

  /**
   * Lints one resource.
   * @param logicalId the resource's logical id
   * @param resource the resource as it appears in a template (`Type`, `Properties`, `DeletionPolicy`, ...)
   * @param template the template it belongs to, for parameter defaults and mappings
   */
  public static lintResource(logicalId: string, resource: any, template?: any): LintFinding[] {
    return lintResource(logicalId, resource, template ?? {});
  }

  /** Every rule, in id order (the rules across templates last). */
  public static rules(): LintRuleInfo[] {
    return [...RULES, REPLICA_RULE].map((rule) => ({
      id: rule.id,
      name: rule.name,
      severity: rule.severity,
      alsoWarns: ('alsoWarns' in rule ? rule.alsoWarns : undefined) ?? false,
      resourceTypes: [...rule.resourceTypes],
      description: rule.description,
      fix: rule.fix,
    }));
  }

  private constructor() {}
}
