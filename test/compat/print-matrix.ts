/**
 * Prints the README's compatibility table from test/compat/cases.ts; `--write` puts it into
 * README.md between its markers. matrix.test.ts fails when the README's table is out of date.
 */
import * as fs from 'fs';
import * as path from 'path';
import { matrixMarkdown, TABLE_END, TABLE_START } from './matrix';

const table = matrixMarkdown();
if (process.argv.includes('--write')) {
  const readmePath = path.join(__dirname, '..', '..', 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} markers`);
  fs.writeFileSync(readmePath, readme.slice(0, start) + table + readme.slice(end + TABLE_END.length));
  console.log('README.md compatibility table updated');
} else {
  console.log(table);
}
