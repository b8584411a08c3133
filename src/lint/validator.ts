import * as fs from 'fs';
import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1, PolicyViolationBeta1 } from 'aws-cdk-lib';
import { LintFinding, LintSeverity } from './finding';
import { lintTemplate } from './lint';
import { RULES } from './rules';

/**
 * Properties of `KmsPatternsValidator`.
 */
export interface KmsPatternsValidatorProps {
  /**
   * The lowest severity that fails the synthesis. Findings below it are still reported.
   * @default LintSeverity.ERROR
   */
  readonly failOn?: LintSeverity;
}

/**
 * The key-policy lint rules as an aws-cdk-lib policy-validation plugin, needing no cdk-nag:
 * `new App({ policyValidationBeta1: [new KmsPatternsValidator()] })`, or
 * `Validations.of(app).addPlugins(new KmsPatternsValidator())`.
 *
 * Each violation names the rule (`KMS1` …), the resources by logical id with the location and
 * message of each finding, and the fix.
 */
export class KmsPatternsValidator implements IPolicyValidationPluginBeta1 {
  /** Name shown in the validation report. */
  public readonly name = 'KmsPatternsValidator';
  /** Ids of the rules this plugin evaluates. */
  public readonly ruleIds?: string[] = RULES.map((rule) => rule.id);
  private readonly failOn: LintSeverity;

  constructor(props: KmsPatternsValidatorProps = {}) {
    this.failOn = props.failOn ?? LintSeverity.ERROR;
  }

  /** Lints every template the CDK hands over. */
  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const findings = context.templatePaths.flatMap((templatePath) =>
      lintTemplate(JSON.parse(fs.readFileSync(templatePath, 'utf-8'))).map((finding) => ({ finding, templatePath })));
    const violations = groupByRule(findings);
    const failing = findings.some(({ finding }) => finding.severity === LintSeverity.ERROR || this.failOn === LintSeverity.WARNING);
    return { success: !failing, violations };
  }
}

interface LocatedFinding {
  readonly finding: LintFinding;
  readonly templatePath: string;
}

/** One violation per rule and severity; one violating resource per template and logical id. */
function groupByRule(findings: LocatedFinding[]): PolicyViolationBeta1[] {
  const groups = new Map<string, LocatedFinding[]>();
  for (const located of findings) {
    const key = `${located.finding.ruleId}|${located.finding.severity}`;
    groups.set(key, [...(groups.get(key) ?? []), located]);
  }
  return [...groups.values()].map((group) => {
    const { ruleId, severity, fix } = group[0].finding;
    const rule = RULES.find((r) => r.id === ruleId)!;
    const resources = new Map<string, { resourceLogicalId: string; templatePath: string; locations: string[] }>();
    for (const { finding, templatePath } of group) {
      const key = `${templatePath}|${finding.logicalId}`;
      const resource = resources.get(key) ?? { resourceLogicalId: finding.logicalId, templatePath, locations: [] };
      resource.locations.push(`${finding.location ?? finding.logicalId}: ${finding.message}`);
      resources.set(key, resource);
    }
    return {
      ruleName: ruleId,
      description: `${rule.name}: ${rule.description}`,
      fix,
      severity,
      violatingResources: [...resources.values()],
    };
  });
}
