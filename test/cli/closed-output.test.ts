/**
 * `cdk-kms-patterns <command> | head`: when the reader of stdout goes away, every command finishes
 * quietly with its own exit code, never an EPIPE stack trace. The CLI runs as a real process (from
 * source, through tsx) whose stdout pipe is closed before it writes.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'cli', 'index.ts');
const TEMPLATES = path.join(__dirname, '..', 'fixtures', 'lint', 'templates');

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test.each([
  ['explain (markdown)', ['explain', path.join(TEMPLATES, 'guard-regressions.json')], 0],
  ['explain (html)', ['explain', '--format', 'html', path.join(TEMPLATES, 'guard-regressions.json')], 0],
  ['lint with findings', ['lint', path.join(TEMPLATES, 'guard-regressions.json')], 1],
  ['lint (sarif)', ['lint', '--format', 'sarif', path.join(TEMPLATES, 'clean.json')], 0],
  ['help', ['--help'], 0],
])('%s: no stack trace, the command\'s own exit code', async (_name, args, expectedCode) => {
  const { code, stderr } = await runWithClosedStdout(args);
  expect(stderr).toBe('');
  expect(code).toBe(expectedCode);
}, 60_000);
