/**
 * The XKS proxy command: `node index.js --config <file>` (see CONFIG.md), bundled to
 * assets/xks-proxy/server/index.js.
 */
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, readConfigSource } from './config';
import { KEYS_HELP, KeysUsageError, runKeys } from './keys';
import { Logger } from './log';
import { startProxy } from './server';

const HELP = `XKS proxy for AWS KMS external key stores (XKS Proxy API v1.0.3) in front of a PKCS#11 HSM.

Usage:
  node index.js --config <file>   run the proxy
  node index.js --config <file> --check
                                  validate the configuration (and its env/file references), exit 0 or 2
  node index.js --probe [--port <n>] [--path <p>]
                                  GET http://127.0.0.1:<n><p> (default 8080, /healthz), exit 0 when healthy
  node index.js keys create|list|check [<label>] --config <file> [--json]
                                  prepare XKS keys on the HSM token (see \`keys --help\`)
  node index.js --help            this text

Configuration: --config <file>, else $XKS_PROXY_CONFIG (a file), else $XKS_PROXY_CONFIG_JSON (the JSON).
  server       listen address and port (8443), tls { certificate, privateKey, clientAuth { caCertificates,
               allowedCommonNames } } or plainHttp: true (local testing only)
  healthCheck  plain-HTTP load-balancer health endpoint (port 8080, path /healthz)
  pkcs11       library, tokenLabel, pin, sessionPoolSize, healthKeyLabel, timeouts
  keyStores    one per URI path prefix: region, 1-2 SigV4 credentials, keys (PKCS#11 labels),
               disabledKeys, quota, authorization rules
Secrets may be given as "literal", { "env": "NAME" } or { "file": "/path" }.
The configuration file is re-read every reloadIntervalMs and on SIGHUP (key stores change live).
Logs: JSON lines on stdout; XKS_LOG_LEVEL=debug|info|warn|error.
Full reference: CONFIG.md next to the proxy sources.
`;

function probe(port: number, path: string): void {
  const req = http.get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => process.exit(1));
}

/** `keys ...`: the operator's key preparation, with the same configuration file (keys.ts). */
function keysCommand(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals.length === 0) {
    process.stdout.write(KEYS_HELP);
    return;
  }
  const config = parseConfig(readConfigSource(values.config, process.env).text, process.env);
  const io = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text) };
  process.exitCode = runKeys(positionals, config, io, values.json ?? false);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'keys') return keysCommand(process.argv.slice(3));
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      check: { type: 'boolean' },
      probe: { type: 'boolean' },
      port: { type: 'string' },
      path: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.probe) return probe(Number(values.port ?? 8080), values.path ?? '/healthz');

  const source = readConfigSource(values.config, process.env);
  const config = parseConfig(source.text, process.env);
  if (values.check) {
    process.stdout.write(`configuration OK: ${config.keyStores.length} key store(s)\n`);
    return;
  }
  // PKCS#11 calls run on libuv worker threads (4 by default, read at their first use): give every
  // pooled session a thread, or a network HSM's latency would cap throughput at 4 calls in flight.
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, config.pkcs11.sessionPoolSize));
  const log = new Logger(process.env.XKS_LOG_LEVEL);
  const proxy = await startProxy(config, { source, log });
  process.on('SIGHUP', () => proxy.reload());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info('stopping', { signal });
      void proxy.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof KeysUsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`xks-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
