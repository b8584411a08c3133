/**
 * `cdk-kms-patterns lint [cdk.out | template files...] [--format text|json|sarif] [--fail-on error|warning]`
 */
import { parseArgs } from 'node:util';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import { CliIo, EXIT_FINDINGS, EXIT_OK, UsageError } from './io';
import { LoadedTemplate, loadInputs } from './load';
import { LintFinding, LintSeverity } from '../src/lint/finding';
import { lintTemplate } from '../src/lint/lint';
import { lintReplicas, REPLICA_RULE } from '../src/lint/replica-rule';
import { RULES } from '../src/lint/rules';

export const LINT_USAGE = `Usage: cdk-kms-patterns lint [cdk.out | template files...] [options]

Lints every KMS key, replica key and CloudTrail trail in a cloud assembly (default: ./cdk.out) or
in CloudFormation templates (JSON or YAML, short-form tags such as !Ref and !Sub allowed).

Options:
  -f, --format <text|json|sarif>   output format (default: text); sarif is SARIF 2.1.0 for code scanning
      --fail-on <error|warning>    lowest severity that makes the exit code 1 (default: error)
  -h, --help                       show this help

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 unusable input.

Rules (details in the README, "Key-policy linting"):
${RULES.map((rule) => `  ${rule.id.padEnd(6)} ${rule.name} (${rule.alsoWarns ? `${rule.severity} / warning` : rule.severity})`).join('\n')}
  ${REPLICA_RULE.id.padEnd(6)} ${REPLICA_RULE.name} (${REPLICA_RULE.severity}; across templates: a replica key against its primary)
`;

/** The findings of one template, with where they came from. */
export interface TemplateFindings {
  readonly source: LoadedTemplate;
  readonly findings: LintFinding[];
  /** Number of resources the rules looked at. */
  readonly checked: number;
}

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = typeof FORMATS[number];
const LINTED_TYPES = new Set(['AWS::KMS::Key', 'AWS::KMS::ReplicaKey', 'Custom::KmsCustomStoreKey', 'AWS::CloudTrail::Trail']);

export async function runLint(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'format': { type: 'string', short: 'f', default: 'text' },
      'fail-on': { type: 'string', default: 'error' },
      'help': { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(LINT_USAGE);
    return EXIT_OK;
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`unknown --format '${values.format}' (text, json or sarif)`);
  const failOn = values['fail-on'];
  if (failOn !== LintSeverity.ERROR && failOn !== LintSeverity.WARNING) throw new UsageError(`unknown --fail-on '${failOn}' (error or warning)`);

  const results = lintSources(loadInputs(positionals));
  const output = format === 'json' ? formatJson(results) : format === 'sarif' ? formatSarif(results) : formatText(results);
  io.stdout(output);
  const failing = results.some(({ findings }) => findings.some((finding) => atOrAbove(finding.severity, failOn)));
  return failing ? EXIT_FINDINGS : EXIT_OK;
}

export function lintSources(sources: LoadedTemplate[]): TemplateFindings[] {
  // KMS13 compares replica keys with their primaries across the loaded templates.
  const across = lintReplicas(sources);
  return sources.map((source) => ({
    source,
    findings: [...lintTemplate(source.template), ...across.filter((f) => f.stackName === source.stackName).map((f) => f.finding)],
    checked: Object.values(source.template.Resources ?? {}).filter((resource) => LINTED_TYPES.has(resource?.Type)).length,
  }));
}

function atOrAbove(severity: LintSeverity, threshold: LintSeverity): boolean {
  return threshold === LintSeverity.WARNING || severity === LintSeverity.ERROR;
}
