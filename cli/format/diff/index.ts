/** Output formats of `diff`. */
import { DiffOutput } from './common';
import { formatDiffJson } from './json';
import { formatDiffMarkdown } from './markdown';
import { formatDiffSarif } from './sarif';
import { formatDiffText } from './text';

export type { DiffOutput } from './common';

export const DIFF_FORMATS = ['text', 'markdown', 'json', 'sarif'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export function formatDiff(output: DiffOutput, format: DiffFormat): string {
  switch (format) {
    case 'text': return formatDiffText(output);
    case 'markdown': return formatDiffMarkdown(output);
    case 'json': return formatDiffJson(output);
    case 'sarif': return formatDiffSarif(output);
  }
}
