import { LintFinding, LintSeverity } from './finding';
import { lintResource, lintTemplate } from './lint';
import { RULES } from './rules';

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
   * Lints one resource.
   * @param logicalId the resource's logical id
   * @param resource the resource as it appears in a template (`Type`, `Properties`, `DeletionPolicy`, ...)
   * @param template the template it belongs to, for parameter defaults and mappings
   */
  public static lintResource(logicalId: string, resource: any, template?: any): LintFinding[] {
    return lintResource(logicalId, resource, template ?? {});
  }

  /** Every rule, in id order. */
  public static rules(): LintRuleInfo[] {
    return RULES.map((rule) => ({
      id: rule.id,
      name: rule.name,
      severity: rule.severity,
      alsoWarns: rule.alsoWarns ?? false,
      resourceTypes: [...rule.resourceTypes],
      description: rule.description,
      fix: rule.fix,
    }));
  }

  private constructor() {}
}
