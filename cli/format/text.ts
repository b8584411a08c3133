/** Text output of `lint`: grouped by stack, then by resource (logical id and construct path). */
import * as path from 'node:path';
import { LintSeverity } from '../../src/lint/finding';
import type { TemplateFindings } from '../lint';

export function formatText(results: TemplateFindings[], cwd: string = process.cwd()): string {
  const lines: string[] = [];
  for (const { source, findings } of results) {
    if (findings.length === 0) continue;
    lines.push(`${source.stackName}  (${path.relative(cwd, source.templatePath)})`);
    for (const [logicalId, resourceFindings] of groupBy(findings, (finding) => finding.logicalId)) {
      const { resourceType, path: constructPath } = resourceFindings[0];
      const line = source.lineOf(logicalId);
      lines.push(`  ${logicalId}${constructPath ? `  ${constructPath}` : ''}  [${resourceType}${line ? `, line ${line}` : ''}]`);
      for (const finding of resourceFindings) {
        lines.push(`    ${finding.severity.padEnd(7)} ${finding.ruleId.padEnd(5)} ${finding.message}`);
        lines.push(`    ${''.padEnd(7)} ${''.padEnd(5)} fix: ${finding.fix}`);
      }
    }
    lines.push('');
  }
  lines.push(summary(results));
  return lines.join('\n') + '\n';
}

export function summary(results: TemplateFindings[]): string {
  const all = results.flatMap((result) => result.findings);
  const errors = all.filter((finding) => finding.severity === LintSeverity.ERROR).length;
  const warnings = all.length - errors;
  const checked = results.reduce((sum, result) => sum + result.checked, 0);
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(checked, 'resource')} of ${plural(results.length, 'stack')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
