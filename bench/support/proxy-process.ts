/** The bundled XKS proxy as its own process, for benchmarks. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { PROXY_BUNDLE } from '../../test/xks-proxy/fixture';

/**
 * Starts the bundled proxy with its access logs (info level, as in production) going to a file, as
 * a log driver would take them, rather than through a pipe that this busy process would drain late.
 */
export async function startProxy(env: NodeJS.ProcessEnv, configFile: string, logFile: string) {
  if (!fs.existsSync(PROXY_BUNDLE)) throw new Error(`${PROXY_BUNDLE} is missing: run \`npx projen bundle\``);
  const out = fs.openSync(logFile, 'w');
  // XKS_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=bench/out", profiles the proxy.
  const nodeArgs = process.env.XKS_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, PROXY_BUNDLE, '--config', configFile], { env, stdio: ['ignore', out, 'inherit'] });
  fs.closeSync(out);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const started = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'started');
    if (started) {
      const stop = () => new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      return { apiPort: started.apiPort as number, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the proxy did not start; see ${logFile}`);
}

