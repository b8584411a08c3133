/**
 * Shared by bench/lint.ts and bench/explain.ts: cloud assemblies of 1k, 5k and 20k keys, wall and
 * CPU time of one run, and a table of keys per second at each size, so that work growing faster
 * than the number of keys shows as a rate that falls with the size.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Keys per assembly. Every size has the same number of stacks, so templates grow with the size too. */
export const SIZES = [1_000, 5_000, 20_000] as const;
export const STACKS = 20;

/** `--sizes 1000,5000` overrides SIZES; `--rounds 2` the rounds. */
export function sizesArgument(): number[] {
  const index = process.argv.indexOf('--sizes');
  if (index < 0) return [...SIZES];
  const sizes = process.argv[index + 1]?.split(',').map(Number) ?? [];
  if (sizes.length === 0 || !sizes.every((size) => Number.isInteger(size) && size >= STACKS)) {
    throw new Error(`--sizes takes comma-separated key counts of at least ${STACKS}`);
  }
  return sizes;
}

export function roundsArgument(fallback: number): number {
  const index = process.argv.indexOf('--rounds');
  const rounds = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a positive integer');
  return rounds;
}

/**
 * `copies` copies of a template's resources in one template: every logical id gets a suffix, and
 * every mention of it (Ref, GetAtt, DependsOn, Sub) is renamed with it, so each copy is a
 * self-contained set of keys, roles and policies.
 */
export function replicateResources(template: { Resources: Record<string, unknown> }, copies: number): { Resources: Record<string, unknown> } {
  const ids = Object.keys(template.Resources).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`\\b(${ids.map((id) => id.replace(/[^A-Za-z0-9]/g, '')).join('|')})\\b`, 'g');
  const text = JSON.stringify(template.Resources);
  const resources: Record<string, unknown> = {};
  for (let copy = 0; copy < copies; copy++) {
    Object.assign(resources, JSON.parse(text.replace(pattern, `$1C${copy}`)));
  }
  return { ...template, Resources: resources };
}

/** Writes a cloud assembly of `stacks` copies of one template. */
export function writeAssembly(dir: string, template: object, stacks: number): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, object> = {};
  const text = JSON.stringify(template, undefined, 1);
  for (let s = 0; s < stacks; s++) {
    const templateFile = `Bench${s}.template.json`;
    fs.writeFileSync(path.join(dir, templateFile), text);
    artifacts[`Bench${s}`] = { type: 'aws:cloudformation:stack', environment: 'aws://111122223333/eu-west-1', properties: { templateFile, stackName: `Bench${s}` } };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
}

export interface Timing {
  readonly wallMs: number;
  /** User + system CPU time of this process (the CLI runs in-process). */
  readonly cpuMs: number;
}

export async function timed(run: () => unknown): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await run();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export function median(timings: readonly Timing[]): Timing {
  const pick = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { wallMs: pick(timings.map((t) => t.wallMs)), cpuMs: pick(timings.map((t) => t.cpuMs)) };
}

export interface ScalingTask {
  readonly name: string;
  /** Only at these sizes (default: every size). */
  readonly sizes?: readonly number[];
  run(size: number): unknown;
}

/**
 * Runs every (size, task) `rounds` times, interleaved (round 1 of every size and task, then round
 * 2, ...) so a busy machine slows all of them alike, and prints the medians: wall and CPU time,
 * keys per second and the ratio to the size's baseline task (the first one).
 */
export async function runScaling(
  sizes: readonly number[],
  rounds: number,
  tasks: readonly ScalingTask[],
): Promise<void> {
  const results = new Map<string, Timing[]>();
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      for (const task of tasks.filter((t) => !t.sizes || t.sizes.includes(size))) {
        const key = `${size}/${task.name}`;
        results.set(key, [...(results.get(key) ?? []), await timed(() => task.run(size))]);
      }
    }
  }
  console.log(`median of ${rounds} interleaved rounds; ${STACKS} stacks at every size; CPU = user + system time of the process`);
  // keys per CPU second is the rate to compare on a shared machine: wall time also counts waiting for a core.
  console.log(`${'keys'.padStart(6)}  ${'task'.padEnd(26)} ${'wall ms'.padStart(8)} ${'CPU ms'.padStart(8)} ${'keys/s'.padStart(8)} ${'keys/CPU-s'.padStart(10)}  x baseline`);
  for (const size of sizes) {
    const baseline = median(results.get(`${size}/${tasks[0].name}`)!);
    for (const task of tasks.filter((t) => results.has(`${size}/${t.name}`))) {
      const { wallMs, cpuMs } = median(results.get(`${size}/${task.name}`)!);
      const rate = Math.round(size / (wallMs / 1000));
      const cpuRate = Math.round(size / (cpuMs / 1000));
      console.log(`${String(size).padStart(6)}  ${task.name.padEnd(26)} ${wallMs.toFixed(0).padStart(8)} ${cpuMs.toFixed(0).padStart(8)} `
        + `${String(rate).padStart(8)} ${String(cpuRate).padStart(10)}  ${(wallMs / baseline.wallMs).toFixed(2)}`);
    }
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}
