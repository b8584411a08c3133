/**
 * SARIF 2.1.0 output of `lint`, for GitHub code scanning: each result points at the template file
 * and the line of the resource's logical id, with the logical id and construct path as logical locations.
 */
import * as path from 'node:path';
import { LintFinding } from '../../src/lint/finding';
import { REPLICA_RULE } from '../../src/lint/replica-rule';
import { RULES } from '../../src/lint/rules';

/** Per-resource rules, then the rule across templates. */
const ALL_RULES = [...RULES, REPLICA_RULE];
import type { TemplateFindings } from '../lint';

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/cdk-kms-patterns/cdk-kms-patterns#key-policy-lint-rules';

export function formatSarif(results: TemplateFindings[], cwd: string = process.cwd()): string {
  const ruleIndex = new Map(ALL_RULES.map((rule, index) => [rule.id, index]));
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'cdk-kms-patterns',
          informationUri: INFORMATION_URI,
          rules: ALL_RULES.map((rule) => ({
            id: rule.id,
            name: pascalCase(rule.name),
            shortDescription: { text: rule.name },
            fullDescription: { text: rule.description },
            help: { text: `Fix: ${rule.fix}` },
            defaultConfiguration: { level: rule.severity },
          })),
        },
      },
      originalUriBaseIds: { SRCROOT: { uri: pathToFileUri(cwd) + '/' } },
      results: results.flatMap(({ source, findings }) => findings.map((finding) => ({
        ruleId: finding.ruleId,
        ruleIndex: ruleIndex.get(finding.ruleId),
        level: finding.severity,
        message: { text: `${finding.logicalId}: ${finding.message}. Fix: ${finding.fix}` },
        locations: [location(finding, source.stackName, relativeUri(cwd, source.templatePath), source.lineOf(finding.logicalId))],
        partialFingerprints: { kmsPatternsFinding: `${source.stackName}/${finding.logicalId}/${finding.ruleId}/${finding.location ?? ''}` },
      }))),
    }],
  };
  return JSON.stringify(sarif, undefined, 2) + '\n';
}

function location(finding: LintFinding, stackName: string, uri: string, line: number | undefined) {
  return {
    physicalLocation: {
      artifactLocation: { uri, uriBaseId: 'SRCROOT' },
      ...(line ? { region: { startLine: line } } : {}),
    },
    logicalLocations: [{
      name: finding.logicalId,
      fullyQualifiedName: finding.path ?? `${stackName}/${finding.logicalId}`,
      kind: 'resource',
    }],
  };
}

/** A relative URI with forward slashes (SARIF artifact locations are URIs, not OS paths). */
function relativeUri(cwd: string, file: string): string {
  return path.relative(cwd, file).split(path.sep).map(encodeURIComponent).join('/');
}

function pathToFileUri(dir: string): string {
  return 'file://' + path.resolve(dir).split(path.sep).map(encodeURIComponent).join('/');
}

function pascalCase(name: string): string {
  return name.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}
