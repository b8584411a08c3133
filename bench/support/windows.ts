/**
 * Timing windows for benches that compare several sides in one process. A window runs one side's
 * operation over and over for at least `windowMs` and measures wall and CPU time; the windows of
 * all sides alternate (forward order, then reversed) so that load from other work on a shared
 * machine falls on every side alike, and every figure is a median over windows.
 */

export interface WindowSample {
  readonly ops: number;
  readonly wallMsPerOp: number;
  /** User + system CPU time of this whole process (local servers included) per operation. */
  readonly cpuMsPerOp: number;
}

/** Runs `op` for at least `windowMs` and at least `minOps` times. */
export async function timeWindow(op: () => Promise<unknown>, windowMs: number, minOps = 2): Promise<WindowSample> {
  let ops = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (ops < minOps || performance.now() - started < windowMs) {
    await op();
    ops++;
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ops, wallMsPerOp: wallMs / ops, cpuMsPerOp: (used.user + used.system) / 1000 / ops };
}

/**
 * `windows` rounds over `sides`, each side measured once per round by `measure`; odd rounds run
 * the sides in reverse order. Returns every side's samples in round order (sample k of each side
 * comes from the same round, so per-round ratios between sides can be taken).
 */
export async function interleave<S>(
  sides: readonly S[],
  windows: number,
  measure: (side: S) => Promise<WindowSample>,
): Promise<Map<S, WindowSample[]>> {
  const samples = new Map<S, WindowSample[]>(sides.map((side) => [side, []]));
  for (let round = 0; round < windows; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      samples.get(side)!.push(await measure(side));
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The median over rounds of `numerators[k] / denominators[k]` (both from round k): steadier on a
 * busy machine than a ratio of two medians, since load that slows one round slows both sides.
 */
export function medianRatio(numerators: readonly number[], denominators: readonly number[]): number {
  return median(numerators.map((value, round) => value / denominators[round]));
}

/** `--name <value>` from the command line: a positive number (integer if `integer`), or `fallback`. */
export function numberFlag(name: string, fallback: number, integer = false, argv: readonly string[] = process.argv): number {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} takes a positive ${integer ? 'integer' : 'number'}, got ${argv[index + 1] ?? 'nothing'}`);
  }
  return value;
}
