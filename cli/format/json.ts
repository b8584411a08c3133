/** JSON output of `lint`: one object per finding with the stack, template file and line. */
import * as path from 'node:path';
import { LintSeverity } from '../../src/lint/finding';
import type { TemplateFindings } from '../lint';

export function formatJson(results: TemplateFindings[], cwd: string = process.cwd()): string {
  const findings = results.flatMap(({ source, findings: list }) => list.map((finding) => ({
    stackName: source.stackName,
    templatePath: path.relative(cwd, source.templatePath),
    line: source.lineOf(finding.logicalId),
    ...finding,
  })));
  const errors = findings.filter((finding) => finding.severity === LintSeverity.ERROR).length;
  const report = {
    summary: {
      errors,
      warnings: findings.length - errors,
      resources: results.reduce((sum, result) => sum + result.checked, 0),
      stacks: results.length,
    },
    findings,
  };
  return JSON.stringify(report, undefined, 2) + '\n';
}
