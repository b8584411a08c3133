/**
 * Prints, for every ManagedKey of an app, its aliases, rotation and posture (from the construct)
 * and who may do what with it: the access matrix of the synthesized template, from the same
 * public API and evaluator as `cdk-kms-patterns explain` (so the two never disagree).
 */
import { App, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { KeyAccessCell, KeyAccessExplainer, KeyAccessMatrix, KeyAccessStatus, ManagedKey } from '../src';

/** A condition in a few words: the CreateGrant guard by its meaning, others without their operator. */
function conditionText(condition: string): string {
  if (/kms:GrantIsForAWSResource/i.test(condition)) return 'for AWS resources only';
  return condition.replace(/^not \((.*)\)$/, 'not $1').replace(/(^|not |AND )[A-Za-z:]+ (?=\S+ = )/g, '$1');
}

function cellText(cell: KeyAccessCell): string {
  const via = cell.viaIam ? ' via IAM' : cell.crossAccount ? ' cross-account' : '';
  const texts = cell.conditions.map(conditionText);
  const conditions = texts.length === 0 ? '' : ` ${texts.every((t) => t.startsWith('for ')) ? '' : 'if '}${texts.join(' & ')}`;
  switch (cell.status) {
    case KeyAccessStatus.ALLOWED: return `yes${via}`;
    case KeyAccessStatus.CONDITIONAL: return `${conditions.trim()}${via}`;
    case KeyAccessStatus.PARTIAL: return `partly (${cell.allowedActions.join(', ')})${conditions}${via}`;
    default: return '';
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The matrices of every key in the app's synthesized stacks, by stack name and logical id. */
function matrices(app: App): Map<string, KeyAccessMatrix> {
  const templates = app.synth().stacks.map((stack) => ({
    stackName: stack.stackName,
    template: stack.template,
    account: /^\d{12}$/.test(stack.environment.account) ? stack.environment.account : undefined,
    region: /^[a-z]{2}(-[a-z]+)+-\d$/.test(stack.environment.region) ? stack.environment.region : undefined,
  }));
  return new Map(KeyAccessExplainer.explainTemplates(templates).map((m) => [`${m.stackName}/${m.logicalId}`, m]));
}

/** The summary of every ManagedKey under `scope` (an app), as text. */
export function summarizeKeys(scope: IConstruct): string {
  const byKey = matrices(scope.node.root as App);
  const keys = scope.node.findAll().filter((c): c is ManagedKey => c instanceof ManagedKey);
  return keys.map((key) => {
    const stack = Stack.of(key);
    const matrix = byKey.get(`${stack.stackName}/${stack.getLogicalId(key.resource)}`);
    const rows = (matrix?.rows ?? []).map((row) => [row.principal, ...row.cells.map(cellText)]);
    const labels = matrix?.rows[0]?.cells.map((c) => c.label) ?? [];
    // Only the columns someone has.
    const shown = labels.map((_, i) => i).filter((i) => rows.some((row) => row[i + 1] !== ''));
    const rotation = key.rotationEnabled ? `every ${key.rotationPeriodDays} days` : 'off (this key spec cannot rotate)';
    return [
      `## ${key.node.path}`,
      `aliases: ${key.aliases.join(', ') || '(none)'}   spec: ${key.keySpec}/${key.keyUsage}   posture: ${key.posture}` +
        `   rotation: ${rotation}${key.multiRegion ? '   multi-Region primary' : ''}`,
      '',
      table(['principal', ...shown.map((i) => labels[i])], rows.map((row) => [row[0], ...shown.map((i) => row[i + 1])])),
      '',
    ].join('\n');
  }).join('\n');
}
