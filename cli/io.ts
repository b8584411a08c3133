/** Where a CLI command writes: the process's streams in the real CLI, string buffers in tests and the demo. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const PROCESS_IO: CliIo = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_UNUSABLE_INPUT = 2;

/** A bad command line: printed as one line with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
