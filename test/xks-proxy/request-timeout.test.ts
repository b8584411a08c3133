/**
 * requestTimeoutMs bounds a request from its first byte to its last, headers and body (CONFIG.md):
 * slow clients of every shape are dropped in time, a client that goes away mid-body is an access-log
 * line (never an internal error), and an idle keep-alive connection is not a slow request.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { newCredential, ProxyFixture, startFixture } from './fixture';

const REQUEST_TIMEOUT_MS = 1000;
/** Node checks every 250 ms; a loaded CI machine adds scheduling delay on top. */
const ALLOWED_OVERSHOOT_MS = 1500;

let fixture: ProxyFixture;
beforeAll(async () => {
  fixture = await startFixture([{ label: 'key-1' }], (config) => {
    config.server.requestTimeoutMs = REQUEST_TIMEOUT_MS;
    config.keyStores[0].credentials = [newCredential()];
    config.keyStores[0].keys = ['key-1'];
  });
});
afterAll(() => fixture.stop());

const PATH = '/ks/a/kms/xks/v1/keys/key-1/encrypt';
const HEAD = `POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`;

interface Outcome {
  readonly closedAfterMs: number;
  readonly response: string;
}

/** Opens a connection, writes `first`, then one byte of `drip` every `everyMs`, until the proxy closes it. */
function slowClient(first: string, drip: string, everyMs: number, giveUpMs = 20_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(fixture.apiPort, '127.0.0.1');
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the proxy kept a slow request open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(first);
      let i = 0;
      timer = setInterval(() => {
        if (!socket.writable || drip === '') return;
        socket.write(drip[i % drip.length]);
        i++;
      }, everyMs);
    });
    socket.on('data', (chunk) => (response += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ closedAfterMs: performance.now() - started, response });
    });
  });
}

describe('slow clients are dropped at requestTimeoutMs', () => {
  test.each([
    ['headers one byte at a time', '', HEAD, 100],
    ['headers complete but for the blank line', `${HEAD}Content-Length: 2\r\n`, 'X-Pad: 1\r\n', 100],
    ['a body at one byte per 200 ms', `${HEAD}Content-Length: 64\r\n\r\n`, '{"a":1}', 200],
    ['a body that never comes', `${HEAD}Content-Length: 64\r\n\r\n`, '', 100],
    ['a chunked body that never ends', `${HEAD}Transfer-Encoding: chunked\r\n\r\n`, '1\r\na\r\n', 150],
  ])('%s', async (_what, first, drip, everyMs) => {
    const outcome = await slowClient(first, drip, everyMs);
    expect(outcome.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + ALLOWED_OVERSHOOT_MS);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    // Node answers 408 where it still can; either way nothing of the API answered.
    expect(outcome.response).not.toMatch(/^HTTP\/1\.1 200/);
  });

  test('a body dropped at the timeout is an access-log line, not an internal error', async () => {
    await slowClient(`${HEAD}Content-Length: 64\r\n\r\n`, '{', 200);
    const line = await fixture.waitForLog((l) => l.msg === 'access' && l.outcome === 'requestTimeout');
    expect(line).toMatchObject({ msg: 'access', outcome: 'requestTimeout' });
    expect(fixture.logs.filter((l) => l.msg === 'internal')).toEqual([]);
  });
});

describe('clients that go away', () => {
  test.each([
    ['after the headers', `${HEAD}Content-Length: 64\r\n\r\n`],
    ['half way through the body', `${HEAD}Content-Length: 64\r\n\r\n{"requestMetadata":`],
  ])('a client that disconnects %s is an access-log line', async (_what, sent) => {
    const before = fixture.logs.filter((l) => l.outcome === 'clientDisconnected').length;
    await new Promise<void>((resolve) => {
      const socket = net.connect(fixture.apiPort, '127.0.0.1', () => {
        socket.write(sent);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await fixture.waitForLog(() => fixture.logs.filter((x) => x.outcome === 'clientDisconnected').length > before);
    expect(fixture.logs.filter((l) => l.msg === 'internal')).toEqual([]);
  });
});

test('an idle keep-alive connection is not a slow request: it serves a request after 2 x requestTimeoutMs', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ask = () => new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
    const req = http.request({ port: fixture.apiPort, host: '127.0.0.1', method: 'POST', path: PATH, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end('{}');
  });
  try {
    const first = await ask(); // unsigned: answered with an authentication error, not dropped
    expect(first.status).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 2 * REQUEST_TIMEOUT_MS));
    expect(await ask()).toEqual({ status: first.status, reused: true });
  } finally {
    agent.destroy();
  }
});
