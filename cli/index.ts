/**
 * The `cdk-kms-patterns` command: `lint`, `explain` and `diff`. Bundled into assets/cli/index.js (the
 * package's bin); `main(argv, io)` is also callable as a function (the demo does).
 */
import { DIFF_USAGE, runDiff } from './diff';
import { runExplain } from './explain';
import { CliIo, EXIT_OK, EXIT_UNUSABLE_INPUT, PROCESS_IO, tolerateClosedOutput, UsageError } from './io';
import { LINT_USAGE, runLint } from './lint';
import { LoadError } from './load';
import { ExpansionLimitError } from '../src/lint/template';

export const USAGE = `Usage: cdk-kms-patterns <command> [options]

Commands:
  lint      lint key policies, keys and trails (text, json or sarif output)
  explain   show who can do what with each key (markdown, html or json)
  diff      what a change does to key access: BASE HEAD (text, markdown, json or sarif)

Run 'cdk-kms-patterns <command> --help' for a command's options.
`;

const COMMANDS: Record<string, { run: (args: string[], io: CliIo) => Promise<number>; usage?: string }> = {
  lint: { run: runLint, usage: LINT_USAGE },
  explain: { run: runExplain },
  diff: { run: runDiff, usage: DIFF_USAGE },
};

/** Runs the CLI; resolves to the exit code. Never calls process.exit. */
export async function main(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) {
    io.stderr(USAGE);
    return EXIT_UNUSABLE_INPUT;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    io.stderr(`cdk-kms-patterns: unknown command '${command}'\n\n${USAGE}`);
    return EXIT_UNUSABLE_INPUT;
  }
  try {
    return await entry.run(args, io);
  } catch (error) {
    if (error instanceof LoadError || error instanceof ExpansionLimitError) {
      io.stderr(`cdk-kms-patterns ${command}: ${oneLine(error.message)}\n`);
      return EXIT_UNUSABLE_INPUT;
    }
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`cdk-kms-patterns ${command}: ${(error as Error).message}\n${entry.usage ? '\n' + entry.usage : ''}`);
      return EXIT_UNUSABLE_INPUT;
    }
    // The loader bounds size, depth and expansion, so this is a defect of ours that some input
    // reached: still one line and exit 2 in a pipeline, never a stack trace (unless asked for).
    if (process.env.CDK_KMS_PATTERNS_DEBUG) io.stderr(`${(error as Error).stack ?? String(error)}\n`);
    io.stderr(`cdk-kms-patterns ${command}: cannot process this input (${oneLine(describe(error))}); `
      + 'please report it (CDK_KMS_PATTERNS_DEBUG=1 shows where it failed)\n');
    return EXIT_UNUSABLE_INPUT;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The first line, at most 300 characters: messages quote input, which may be long or multi-line. */
function oneLine(text: string): string {
  const line = text.split(/\r?\n/)[0];
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

if (require.main === module) {
  tolerateClosedOutput();
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error) => { process.stderr.write(`cdk-kms-patterns: ${oneLine(describe(error))}\n`); process.exitCode = EXIT_UNUSABLE_INPUT; },
  );
}
