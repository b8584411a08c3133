/** Renders the access matrix as markdown (pull-request comments), one self-contained HTML page, or JSON. */
import { AllowedBy } from '../evaluator';
import { Cell } from './cell';
import { constructName } from './identity';
import { AccessReport, KeyMatrix } from './model';

/** The output formats of `explain`. */
export const EXPLAIN_FORMATS = ['markdown', 'html', 'json'] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];

const SYMBOL: Record<Cell['status'], string> = {
  'allowed': '✅ allowed',
  'conditional': '⚠️ if',
  'partial': '◐ partly',
  'denied': '❌',
  'not-applicable': '—',
};

const LEGEND =
  '✅ allowed · ⚠️ allowed only if the listed conditions hold · ◐ some of the actions · ❌ denied · — not for this key type · ' +
  '_via IAM_: only through the account-root statement, so the principal\'s IAM policies decide · ' +
  '_cross-account_: the principal\'s own account must also allow it in IAM';

/** How an allowed cell is reached, when it is not the key policy alone. */
const VIA_TEXT: Record<AllowedBy, string> = { 'key-policy': '', 'iam': ' via IAM', 'cross-account': ' cross-account' };

function keyTitle(key: KeyMatrix): string {
  return `${key.stackName} / ${key.constructPath ? constructName(key.constructPath) : key.logicalId}${key.branch ? ` (${key.branch})` : ''}`;
}

/** What the table leaves out because the template does not say it offline; empty when nothing. */
function unresolvedText(key: KeyMatrix): string {
  if (key.unresolved.length === 0) return '';
  return `⚠️ Not resolved offline, so not in this table (it may allow more): ${key.unresolved.join('; ')}`;
}

function keySubtitle(key: KeyMatrix): string {
  const replica = key.primaryKey !== undefined ? `, replica${key.region ? ` in ${key.region}` : ''} of ${key.primaryKey}` : '';
  return `${key.resourceType} \`${key.logicalId}\`, ${key.keySpec}, ${key.keyUsage}${replica}`;
}

/** Text of one cell without its conditions, e.g. `⚠️ if [1] via IAM`. */
function cellText(cell: Cell, notes: string[]): string {
  let text = SYMBOL[cell.status];
  if (cell.status === 'partial') text += ` (${cell.allowedActions.join(', ')})`;
  for (const condition of cell.conditions) {
    let index = notes.indexOf(condition);
    if (index < 0) index = notes.push(condition) - 1;
    text += ` [${index + 1}]`;
  }
  if (cell.via) text += VIA_TEXT[cell.via];
  return text;
}

function escapeMarkdown(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/([*_`<>])/g, '\\$1');
}

export function renderMarkdown(report: AccessReport): string {
  const lines = ['## Who can do what with each KMS key', '', LEGEND, ''];
  if (report.keys.length === 0) lines.push('No KMS keys found.', '');
  for (const key of report.keys) {
    const notes: string[] = [];
    lines.push(`### ${escapeMarkdown(keyTitle(key))}`, '', keySubtitle(key), '');
    if (key.unresolved.length > 0) lines.push(`**${escapeMarkdown(unresolvedText(key))}**`, '');
    lines.push(`| principal | ${report.capabilities.map((c) => c.label).join(' | ')} |`);
    lines.push(`|---|${report.capabilities.map(() => '---').join('|')}|`);
    for (const row of key.rows) {
      const cells = report.capabilities.map((c) => escapeMarkdown(cellText(row.cells[c.id], notes)));
      lines.push(`| ${escapeMarkdown(row.principal)} | ${cells.join(' | ')} |`);
    }
    lines.push('');
    notes.forEach((note, i) => lines.push(`${i + 1}. \`${note.replace(/`/g, "'")}\``));
    if (notes.length > 0) lines.push('');
  }
  return lines.join('\n');
}

export function renderJson(report: AccessReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
p.meta{color:#57606a;margin:.2rem 0 .6rem}
table.matrix{border-collapse:collapse;margin-bottom:1rem}
.matrix th,.matrix td{border:1px solid #d0d7de;padding:.35rem .5rem;vertical-align:top;text-align:left}
.matrix thead th{background:#f6f8fa;position:sticky;top:0}
td.allowed{background:#dafbe1}td.conditional{background:#fff8c5}td.partial{background:#fde7c8}
td.denied{background:#ffebe9;color:#82071e}td.not-applicable{color:#8c959f}
.via{display:inline-block;margin-left:.3rem;padding:0 .3rem;border-radius:.6rem;background:#ddf4ff;font-size:.8em}
ul.conditions{margin:.2rem 0 0;padding-left:1rem;font:12px ui-monospace,monospace}
.source{color:#57606a;font-size:.8em}
p.unresolved{background:#fff8c5;border:1px solid #d4a72c;padding:.4rem .6rem;font-weight:600}`;

const SOURCE_LABEL: Record<string, string> = {
  'key-policy': 'named in the key policy',
  'iam-policy': 'IAM policy in the templates',
  'account-iam': 'account-root delegation',
};

function htmlCell(cell: Cell): string {
  const label = SYMBOL[cell.status] + (cell.status === 'partial' ? ` (${cell.allowedActions.join(', ')})` : '');
  const via = cell.via && VIA_TEXT[cell.via] ? `<span class="via">${VIA_TEXT[cell.via].trim()}</span>` : '';
  const conditions = cell.conditions.length > 0
    ? `<ul class="conditions">${cell.conditions.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`
    : '';
  return `<td class="${cell.status}">${escapeHtml(label)}${via}${conditions}</td>`;
}

/** One self-contained page: inline CSS, no scripts, nothing fetched. */
export function renderHtml(report: AccessReport): string {
  const sections = report.keys.map((key) => {
    const head = report.capabilities.map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`).join('');
    const rows = key.rows.map((row) => {
      const cells = report.capabilities.map((c) => htmlCell(row.cells[c.id])).join('');
      return `<tr><th scope="row">${escapeHtml(row.principal)}<br><span class="source">${SOURCE_LABEL[row.source]}</span></th>${cells}</tr>`;
    });
    return [
      `<section><h2>${escapeHtml(keyTitle(key))}</h2>`,
      `<p class="meta">${escapeHtml(keySubtitle(key).replace(/`/g, ''))}</p>`,
      key.unresolved.length > 0 ? `<p class="unresolved">${escapeHtml(unresolvedText(key))}</p>` : '',
      `<table class="matrix"><thead><tr><th scope="col">principal</th>${head}</tr></thead>`,
      `<tbody>${rows.join('\n')}</tbody></table></section>`,
    ].join('\n');
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>KMS key access matrix</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>Who can do what with each KMS key</h1>',
    `<p class="meta">${escapeHtml(LEGEND.replace(/_/g, ''))}</p>`,
    report.keys.length === 0 ? '<p>No KMS keys found.</p>' : sections.join('\n'),
    '</body></html>',
    '',
  ].join('\n');
}

/** Renders the report in one of the formats. */
export function renderReport(report: AccessReport, format: ExplainFormat): string {
  switch (format) {
    case 'markdown': return renderMarkdown(report);
    case 'html': return renderHtml(report);
    case 'json': return renderJson(report);
  }
}
