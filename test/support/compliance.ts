import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  AwsSolutionsChecks, INagLogger, NagLoggerComplianceData, NagLoggerErrorData, NagLoggerNonComplianceData,
  NagLoggerNotApplicableData, NagPack, NagPackProps,
} from 'cdk-nag';

/** One unsuppressed cdk-nag finding (a non-compliance, or a rule that could not evaluate). */
export interface NagFinding {
  readonly ruleId: string;
  /** 'Error' or 'Warning' for a non-compliance; 'RuleError' when the rule itself failed. */
  readonly level: string;
  /** The construct path of the offending CloudFormation resource. */
  readonly path: string;
  readonly info: string;
}

/**
 * Applies a cdk-nag pack (AwsSolutionsChecks by default) to `stack`, synthesizes it, and returns the
 * unsuppressed findings. Call it on a stack that has not been synthesized yet (one App per test):
 * aspects only run at the first synth, so it throws if the pack evaluated nothing.
 */
export function nagFindings(stack: Stack, pack: (props: NagPackProps) => NagPack = (p) => new AwsSolutionsChecks(p)): NagFinding[] {
  const collector = new FindingCollector();
  Aspects.of(stack).add(pack({ reports: false, additionalLoggers: [collector] }));
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`${stack.node.path} is not in an App or Stage`);
  stage.synth();
  if (collector.evaluations === 0) {
    throw new Error(`cdk-nag evaluated nothing in ${stack.node.path}: was the App synthesized before nagFindings()?`);
  }
  return collector.findings;
}

class FindingCollector implements INagLogger {
  readonly findings: NagFinding[] = [];
  evaluations = 0;

  onCompliance(_data: NagLoggerComplianceData): void {
    this.evaluations++;
  }
  onNotApplicable(_data: NagLoggerNotApplicableData): void {
    this.evaluations++;
  }
  onNonCompliance(data: NagLoggerNonComplianceData): void {
    this.evaluations++;
    this.findings.push({ ruleId: data.ruleId, level: data.ruleLevel, path: data.resource.node.path, info: data.ruleInfo });
  }
  onError(data: NagLoggerErrorData): void {
    this.evaluations++;
    this.findings.push({ ruleId: data.ruleId, level: 'RuleError', path: data.resource.node.path, info: data.errorMessage });
  }
  onSuppressed(): void {
    this.evaluations++;
  }
  onSuppressedError(): void {
    this.evaluations++;
  }
}

/** The Control Tower proactive controls for KMS keys shipped with @cdklabs/cdk-validator-cfnguard. */
export const CONTROL_TOWER_KMS_RULES = ['CT.KMS.PR.1', 'CT.KMS.PR.2', 'CT.KMS.PR.3'] as const;
export type ControlTowerKmsRule = typeof CONTROL_TOWER_KMS_RULES[number];

/** The outcome of one guard rule over one template. */
export interface GuardRuleResult {
  /** SKIP when the template has no resource the rule applies to. */
  readonly status: 'PASS' | 'FAIL' | 'SKIP';
  /** The rule's messages for each failing check (empty unless FAIL). */
  readonly messages: string[];
}

const CFN_GUARD_PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const KMS_RULES_DIR = path.join(CFN_GUARD_PACKAGE, 'rules', 'control-tower', 'cfn-guard', 'keymanagementservice');

/**
 * Runs CT.KMS.PR.1 (rotation), CT.KMS.PR.2 (RSA key length) and CT.KMS.PR.3 (CreateGrant limited
 * to AWS services) on a template with the cfn-guard binary that @cdklabs/cdk-validator-cfnguard ships
 * (the same rules and binary as its CfnGuardValidator plugin, without the rest of Control Tower).
 */
export function controlTowerKmsChecks(template: Template | object): Record<ControlTowerKmsRule, GuardRuleResult> {
  const data = JSON.stringify(template instanceof Template ? template.toJSON() : template);
  return Object.fromEntries(CONTROL_TOWER_KMS_RULES.map((rule) => [rule, runGuardRule(rule, data)])) as Record<ControlTowerKmsRule, GuardRuleResult>;
}

function runGuardRule(rule: ControlTowerKmsRule, templateBody: string): GuardRuleResult {
  const ruleFile = path.join(KMS_RULES_DIR, `${rule.toLowerCase().replace(/\./g, '-')}.guard`);
  const result = spawnSync(
    cfnGuardBinary(),
    ['validate', '--payload', '--output-format', 'json', '--show-summary', 'none', '--structured'],
    { input: JSON.stringify({ rules: [fs.readFileSync(ruleFile, 'utf8')], data: [templateBody] }), encoding: 'utf8' },
  );
  let reports: any[];
  try {
    reports = JSON.parse(result.stdout);
  } catch {
    throw new Error(`cfn-guard failed on ${rule} (exit ${result.status}): ${result.stderr || result.error}`);
  }
  const [report] = reports;
  return { status: report.status, messages: [...new Set(customMessages(report.not_compliant ?? []))] };
}

function cfnGuardBinary(): string {
  const platform = os.platform() === 'darwin' ? 'macos' : 'ubuntu';
  const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';
  return path.join(CFN_GUARD_PACKAGE, 'bin', platform, arch, 'cfn-guard');
}

/** The `<< ... >>` messages of the failing checks, wherever guard nests them. */
function customMessages(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(customMessages);
  if (!value || typeof value !== 'object') return [];
  const own = String((value as any).messages?.custom_message ?? '').trim().replace(/\s+/g, ' ');
  const nested = Object.values(value).flatMap(customMessages);
  return own ? [own, ...nested] : nested;
}
