/** Where a CLI command writes: the process's streams in the real CLI, string buffers in tests and the demo. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Writes to a process stream, unless its reader has gone (`cdk-kms-patterns explain | head`). */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    if (!stream.destroyed) stream.write(text);
  };
}

export const PROCESS_IO: CliIo = {
  stdout: writerTo(process.stdout),
  stderr: writerTo(process.stderr),
};

/**
 * A reader that stops early (`| head`) makes the next write fail with EPIPE, emitted as an 'error'
 * event that would end the process with a stack trace. Instead the stream is closed and the
 * command finishes quietly, with its own exit code (what `head` shows is what it asked for).
 * Any other write error is one line on stderr and exit code 3.
 */
export function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      stream.destroy();
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      process.exitCode = 3;
      if (stream !== process.stderr && !process.stderr.destroyed) process.stderr.write(`cdk-kms-patterns: cannot write output (${error.code ?? error.message})\n`);
    });
  }
}

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
