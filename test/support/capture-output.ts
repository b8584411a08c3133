/**
 * Captures everything written to stdout, stderr and the console while `run` runs (e.g. a
 * handler's structured logs), so a test can assert what the logs contain and what they never do.
 */
export async function captureOutput(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const streamSpies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }));
  const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    }));
  try {
    await run();
  } finally {
    [...streamSpies, ...consoleSpies].forEach((spy) => spy.mockRestore());
  }
  return lines.join('\n');
}
