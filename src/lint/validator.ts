import * as fs from 'fs';
import * as path from 'path';
import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1, PolicyViolationBeta1 } from 'aws-cdk-lib';
import { LintFinding, LintSeverity } from './finding';
import { lintTemplate } from './lint';
import { lintReplicas, REPLICA_RULE } from './replica-rule';
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
  public readonly ruleIds?: string[] = [...RULES, REPLICA_RULE].map((rule) => rule.id);
  private readonly failOn: LintSeverity;

  constructor(props: KmsPatternsValidatorProps = {}) {
    this.failOn = props.failOn ?? LintSeverity.ERROR;
  }

  /** Lints every template the CDK hands over. */
  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const templates = context.templatePaths.map((templatePath) => ({ templatePath, template: JSON.parse(fs.readFileSync(templatePath, 'utf-8')) }));
    const findings = templates.flatMap(({ templatePath, template }) => lintTemplate(template).map((finding) => ({ finding, templatePath })));
    // KMS13 needs the stacks by name: the plugin only gets template paths, so names come from the file names.
    const byName = templates.map(({ templatePath, template }) => ({ stackName: stackNameOfTemplate(templatePath), template, templatePath }));
    for (const { stackName, finding } of lintReplicas(byName)) {
      findings.push({ finding, templatePath: byName.find((t) => t.stackName === stackName)!.templatePath });
    }
    const violations = groupByRule(findings);
    const failing = findings.some(({ finding }) => finding.severity === LintSeverity.ERROR || this.failOn === LintSeverity.WARNING);
    return { success: !failing, violations };
  }
}

/** `<assembly>/Primary.template.json` -> `Primary` (the CDK names template files after the stack's artifact id). */
function stackNameOfTemplate(templatePath: string): string {
  return path.basename(templatePath).replace(/\.template\.json$/, '');
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
    const rule = [...RULES, REPLICA_RULE].find((r) => r.id === ruleId)!;
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
