/**
 * Markdown output of `diff`, written for one pull-request comment: a hidden marker (so a CI step
 * can find and update its own comment), the verdict first, then a table per changed key with the
 * conditions in a collapsible block, then new and resolved lint findings. Everything taken from the
 * templates is escaped: a principal or path is text, never markup, a link, a mention or math. The comment stays under GitHub's
 * 65,536-character limit; keys that do not fit are counted at the end.
 */
import { DiffOutput, headline, keyDetail, keyRefOf, keysLine, keyTitle } from './common';
import { Change, DiffFinding, KeyDiff } from '../../../src/access/diff';
import { Cell } from '../../../src/access/explain';

/** The first line of the comment: CI finds the comment to update by it. */
export const COMMENT_MARKER = '<!-- cdk-kms-patterns diff -->';
const MAX_LENGTH = 60_000;

const ICON: Record<Change['effect'], string> = {
  'more-access': '🔴',
  'less-access': '🟢',
  'weaker': '🟠',
  'stronger': '🔵',
  'neutral': '⚪',
};

const VERDICT_ICON = { 'new-access': '🔴', 'new-findings': '🟠', 'changed': '✅', 'no-change': '✅' } as const;

/** Text taken from templates, safe in a table cell and as inline text: no markup, links, mentions, HTML or line breaks. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    // A zero-width space breaks GitHub's autolinks (URLs, www., e-mail) and @mentions.
    .replace(/:\/\/|www\.|@/gi, (match) => (match === '@' ? '@\u200b' : `${match.slice(0, -1)}\u200b${match.slice(-1)}`))
    .replace(/[\\`*_[\]()#!|<>~&@$]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : `\\${ch}`));
}

/** A code span that cannot be closed early: backticks inside become quotes. */
function code(text: string): string {
  return `\`${text.replace(/[\r\n]+/g, ' ').replace(/`/g, "'")}\``;
}

function cellText(cell: Cell | undefined, notes: string[]): string {
  if (!cell || cell.allowedActions.length === 0) return cell?.status === 'not-applicable' ? '—' : '❌';
  let text = cell.status === 'partial' ? `◐ ${cell.allowedActions.map(escapeMarkdown).join(', ')}` : cell.conditions.length > 0 ? '⚠️ if' : '✅';
  for (const condition of cell.conditions) {
    let index = notes.indexOf(condition);
    if (index < 0) index = notes.push(condition) - 1;
    text += ` [${index + 1}]`;
  }
  if (cell.via === 'iam') text += ' via IAM';
  if (cell.via === 'cross-account') text += ' cross-account';
  return text;
}

function accepted(change: Change): string {
  return change.allowedBy !== undefined ? ` (accepted: ${escapeMarkdown(change.allowedBy)})` : '';
}

function keySection(key: KeyDiff, capabilityLabels: ReadonlyMap<string, string>): string {
  const lines = [`### ${escapeMarkdown(keyTitle(keyRefOf(key)))}`, '', escapeMarkdown(keyDetail(key)), ''];
  const settings = key.changes.filter((c) => c.principal === undefined);
  const access = key.changes.filter((c) => c.principal !== undefined);
  for (const change of settings) lines.push(`- ${ICON[change.effect]} ${escapeMarkdown(change.summary)}`);
  if (settings.length > 0) lines.push('');
  if (key.changes.length === 0) lines.push('- ⚪ renamed; no change to access or settings', '');
  const notes: string[] = [];
  if (access.length > 0) {
    lines.push('| | principal | capability | before | after | change |', '|---|---|---|---|---|---|');
    for (const change of access) {
      const label = capabilityLabels.get(change.capability!) ?? change.capability!;
      const what = change.kind.replace(/-/g, ' ') + (change.crossAccount ? ', cross-account' : '') + accepted(change);
      lines.push(`| ${ICON[change.effect]} | ${escapeMarkdown(change.principal!)} | ${escapeMarkdown(label)} | ${cellText(change.before, notes)} | ${cellText(change.after, notes)} | ${what} |`);
    }
    lines.push('');
  }
  const details = access.filter((c) => (c.actions?.length ?? 0) > 0);
  if (notes.length > 0 || details.length > 0) {
    lines.push('<details><summary>Conditions and actions</summary>', '');
    notes.forEach((note, i) => lines.push(`${i + 1}. ${code(note)}`));
    if (notes.length > 0) lines.push('');
    for (const change of details) lines.push(`- ${escapeMarkdown(change.summary)}: ${change.actions!.map(code).join(', ')}`);
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}

function findingsTable(findings: readonly DiffFinding[]): string[] {
  return [
    '| severity | rule | resource | finding | fix |',
    '|---|---|---|---|---|',
    ...findings.map((f) => `| ${f.severity} | ${escapeMarkdown(f.ruleId)} | ${escapeMarkdown(`${f.stackName}/${f.logicalId}`)} | ${escapeMarkdown(f.message)} | ${escapeMarkdown(f.fix)} |`),
    '',
  ];
}

export function formatDiffMarkdown({ result, verdict, allow }: DiffOutput): string {
  const lines = [COMMENT_MARKER, `## ${VERDICT_ICON[verdict.kind]} Key access review: ${escapeMarkdown(headline(verdict))}`, ''];
  lines.push(`${keysLine(result)}. ` +
    '🔴 more access · 🟢 less access · 🟠 weaker protection · 🔵 stronger · ⚪ other; ' +
    '✅ allowed · ⚠️ only if the numbered conditions hold · ◐ some actions · ❌ no access', '');
  if (allow.length > 0) lines.push(`Accepted by \`--allow\`: ${allow.map(code).join(', ')}`, '');
  const labels = new Map(result.capabilities.map((c) => [c.id, c.label]));
  const tail: string[] = [];
  if (result.findingsAdded.length > 0) tail.push(`### New lint findings (${result.findingsAdded.length})`, '', ...findingsTable(result.findingsAdded));
  if (result.findingsResolved.length > 0) {
    tail.push(`<details><summary>Resolved lint findings (${result.findingsResolved.length})</summary>`, '', ...findingsTable(result.findingsResolved), '</details>', '');
  }
  let length = lines.join('\n').length + tail.join('\n').length;
  let shown = 0;
  for (const key of result.keys) {
    const section = keySection(key, labels);
    if (length + section.length > MAX_LENGTH) break;
    lines.push(section);
    length += section.length + 1;
    shown++;
  }
  if (shown < result.keys.length) {
    lines.push(`_${result.keys.length - shown} more changed keys do not fit in one comment: run \`cdk-kms-patterns diff\` locally or see the job log._`, '');
  }
  return [...lines, ...tail].join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
