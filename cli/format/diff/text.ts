/** Text output of `diff`: the verdict, then each changed key with one line per change. */
import { DiffOutput, headline, keyDetail, keyRefOf, keysLine, keyTitle } from './common';
import { Change } from '../../../src/access/diff';

/** `+` more access, `-` less, `!` weaker protection, `*` stronger, `~` neither. */
export const MARKER: Record<Change['effect'], string> = {
  'more-access': '+',
  'less-access': '-',
  'weaker': '!',
  'stronger': '*',
  'neutral': '~',
};

export function changeLine(change: Change): string {
  const accepted = change.allowedBy !== undefined ? `  (accepted: --allow ${change.allowedBy})` : '';
  return `${MARKER[change.effect]} ${change.summary}${accepted}`;
}

export function formatDiffText({ result, verdict }: DiffOutput): string {
  const lines = [headline(verdict), ''];
  for (const key of result.keys) {
    lines.push(`${keyTitle(keyRefOf(key))}  (${keyDetail(key)})`);
    if (key.changes.length === 0) lines.push('  ~ renamed; no change to access or settings');
    for (const change of key.changes) {
      lines.push(`  ${changeLine(change)}`);
      for (const condition of change.conditionsRemoved ?? []) lines.push(`      no longer: ${condition}`);
      for (const condition of change.conditionsAdded ?? []) lines.push(`      now: ${condition}`);
    }
    lines.push('');
  }
  for (const [title, findings] of [['New lint findings', result.findingsAdded], ['Resolved lint findings', result.findingsResolved]] as const) {
    if (findings.length === 0) continue;
    lines.push(`${title}:`);
    for (const f of findings) lines.push(`  ${f.severity.padEnd(7)} ${f.ruleId.padEnd(5)} ${f.stackName}/${f.logicalId}: ${f.message}`);
    lines.push('');
  }
  lines.push(`${keysLine(result)}; +/- access gained/lost, ! weaker protection, * stronger, ~ other`);
  return lines.join('\n') + '\n';
}
