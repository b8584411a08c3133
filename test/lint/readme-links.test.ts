/**
 * Links into the README resolve: the SARIF rules' `informationUri` (shown by GitHub code scanning)
 * and the README's own `](#anchor)` links name headings that exist, by GitHub's anchor rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSarif } from '../../cli/format/sarif';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');

/** GitHub's anchor of a heading: lower case, markup and punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  return anchors;
}

const repository = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8')).repository.url
  .replace(/^git\+/, '').replace(/\.git$/, '');

test('the anchor rules: punctuation and code marks dropped, repeats numbered', () => {
  expect([...headingAnchors('## Key-policy linting: `lint`, a pack\n## A\n## A\n```\n# not a heading\n```')])
    .toEqual(['key-policy-linting-lint-a-pack', 'a', 'a-1']);
});

test('SARIF informationUri is the repository README at an existing heading', () => {
  const sarif = JSON.parse(formatSarif([], ROOT));
  const uri: string = sarif.runs[0].tool.driver.informationUri;
  const [base, anchor] = uri.split('#');
  expect(base).toBe(repository);
  expect([...headingAnchors(README)]).toContain(anchor);
});

test('every in-page link of the README names an existing heading', () => {
  const anchors = headingAnchors(README);
  const links = [...README.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
  expect(links.length).toBeGreaterThan(0);
  expect(links.filter((link) => !anchors.has(link))).toEqual([]);
});
