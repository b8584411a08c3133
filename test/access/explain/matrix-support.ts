import * as path from 'node:path';
import { loadTemplateFile } from '../../../cli/load';
import { AccessReport, explainTemplates, KeyMatrix } from '../../../src/access/explain';
import { CfnTemplate } from '../../../src/lint/template';

const VIA = { 'iam': 'via IAM', 'cross-account': 'cross-account' } as const;

export const FIXTURES = path.join(__dirname, 'fixtures');

/** The report for fixture files, loaded the way the CLI loads them. */
export function explainFixtures(...files: string[]): AccessReport {
  return explainTemplates(files.map((file) => loadTemplateFile(path.join(FIXTURES, file))));
}

export function explainTemplate(stackName: string, template: CfnTemplate): AccessReport {
  return explainTemplates([{ stackName, template }]);
}

export function keyOf(report: AccessReport, logicalIdPrefix: string): KeyMatrix {
  const key = report.keys.find((k) => k.logicalId.startsWith(logicalIdPrefix));
  if (!key) throw new Error(`no key ${logicalIdPrefix} in ${report.keys.map((k) => k.logicalId).join(', ')}`);
  return key;
}

/** The matrix as principal -> [cell, ...] in column order, each cell as `status` plus ` via IAM` or ` cross-account`. */
export function compact(key: KeyMatrix): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const row of key.rows) {
    result[row.principal] = Object.values(row.cells).map((cell) => cell.status + (cell.via && cell.via !== 'key-policy' ? ` ${VIA[cell.via]}` : ''));
  }
  return result;
}
