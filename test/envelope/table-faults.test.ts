/**
 * The table function under faults: KMS (disabled and unknown keys, throttling, a context the key
 * policy refuses) through the local KMS server, DynamoDB throttling and unprocessed batches through
 * a mocked client (dynalite cannot produce them), the data-key cache counted at the KMS server,
 * the Lambda entry point wired by environment variables, and what the logs contain.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { expectError, ok, PK, SK, startTableFixture, TableFixture } from './table-fixture';
import { ErrorCode } from '../../lambda/envelope/errors';
import { TABLE_CONTEXT_KEY } from '../../lambda/envelope/item-envelope';
import { captureOutput } from '../support/capture-output';

const execFileAsync = promisify(execFile);

let f: TableFixture;
beforeAll(async () => {
  f = await startTableFixture();
});
afterAll(() => f.stop());
beforeEach(() => f.kms.resetCalls());

const SECRET = 'secret-card-4111';
const item = (order: string) => ({ [PK]: 'faults', [SK]: order, card: SECRET, status: 'NEW' });
const key = (order: string) => ({ [PK]: 'faults', [SK]: order });

describe('KMS faults', () => {
  test('a disabled key: writes and reads fail with KeyDisabled, nothing is written', async () => {
    const keyArn = f.kms.createKey();
    const table = f.handler({ codec: { keyArn, cache: false } });
    ok(await table.handle({ operation: 'put', item: item('k1') }));
    f.kms.disableKey(keyArn);
    expectError(await table.handle({ operation: 'put', item: item('k2') }), ErrorCode.KEY_DISABLED);
    expectError(await table.handle({ operation: 'get', key: key('k1') }), ErrorCode.KEY_DISABLED);
    f.kms.enableKey(keyArn);
    expect(ok(await table.handle({ operation: 'get', key: key('k2') })).item).toBeNull();
  });

  test('an unknown key: KeyNotFound', async () => {
    const missing = f.keyArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    expectError(await f.handler({ codec: { keyArn: missing } }).handle({ operation: 'put', item: item('u1') }), ErrorCode.KEY_NOT_FOUND);
  });

  test('throttling is retried; persistent throttling is KmsThrottled (retryable) and nothing is written', async () => {
    const table = f.handler({ codec: { cache: false } });
    f.kms.throttle(1);
    ok(await table.handle({ operation: 'put', item: item('t1') }));
    expect(f.kms.calls.GenerateDataKey).toBe(2);
    f.kms.throttle(50);
    const response = await table.handle({ operation: 'put', item: item('t2') });
    f.kms.throttle(0);
    expect(response).toEqual({ ok: false, error: { code: ErrorCode.KMS_THROTTLED, message: expect.any(String), retryable: true } });
    expect(ok(await table.handle({ operation: 'get', key: key('t2') })).item).toBeNull();
  });

  test('a context the key policy refuses: AccessDenied', async () => {
    const keyArn = f.kms.createKey();
    f.kms.setContextPolicy(keyArn, (_op, context) => context[TABLE_CONTEXT_KEY] === 'orders');
    ok(await f.handler({ codec: { keyArn } }).handle({ operation: 'put', item: item('p1') }));
    expectError(await f.handler({ tableName: 'invoices', codec: { keyArn } }).handle({ operation: 'put', item: item('p1') }), ErrorCode.ACCESS_DENIED);
  });
});

describe('DynamoDB faults (mocked client: dynalite does not throttle)', () => {
  function failingClient(name: string): DynamoDBClient {
    const error = Object.assign(new Error('simulated'), { name, $metadata: {} });
    return { send: () => Promise.reject(error) } as unknown as DynamoDBClient;
  }

  test.each([
    ['ProvisionedThroughputExceededException', ErrorCode.TABLE_THROTTLED],
    ['ThrottlingException', ErrorCode.TABLE_THROTTLED],
    ['ResourceNotFoundException', ErrorCode.MISCONFIGURED],
    ['InternalServerError', ErrorCode.INTERNAL],
  ])('%s -> %s', async (name, code) => {
    const response = await f.handler({ dynamodb: failingClient(name) }).handle({ operation: 'put', item: item('d1') });
    expectError(response, code);
    expect(JSON.stringify(response)).not.toContain('simulated'); // unknown errors say nothing specific
  });

  test('unprocessed batch items are retried until written', async () => {
    let calls = 0;
    const real = f.db.client();
    const flaky = {
      send: (command: BatchWriteItemCommand) => {
        calls++;
        const requests: WriteRequest[] = command.input.RequestItems?.orders ?? [];
        if (calls === 1) {
          // Write the first half now and report the rest unprocessed, as DynamoDB does under load.
          const half = Math.ceil(requests.length / 2);
          return real.send(new BatchWriteItemCommand({ RequestItems: { orders: requests.slice(0, half) } }))
            .then(() => ({ UnprocessedItems: { orders: requests.slice(half) } }));
        }
        return real.send(command as never);
      },
    } as unknown as DynamoDBClient;
    const items = Array.from({ length: 10 }, (_, i) => item(`b${i}`));
    ok(await f.handler({ dynamodb: flaky }).handle({ operation: 'batchPut', items }));
    expect(calls).toBe(2);
    const got = ok(await f.handler().handle({ operation: 'batchGet', keys: items.map((i) => key(i[SK])) })).items;
    expect(got).toEqual(items);
  });

  test('batch leftovers that never clear: TableThrottled', async () => {
    const stuck = {
      send: (command: { input: { RequestItems?: Record<string, unknown[]> } }) =>
        Promise.resolve({ UnprocessedItems: command.input.RequestItems }),
    } as unknown as DynamoDBClient;
    expectError(await f.handler({ dynamodb: stuck }).handle({ operation: 'batchPut', items: [item('s1')] }), ErrorCode.TABLE_THROTTLED);
  });
});

describe('data-key cache (KMS calls counted at the server)', () => {
  test('default cache: one GenerateDataKey for 300 puts and one Decrypt for 300 gets', async () => {
    const table = f.handler();
    const items = Array.from({ length: 300 }, (_, i) => item(`c${i}`));
    for (let i = 0; i < items.length; i += 25) ok(await table.handle({ operation: 'batchPut', items: items.slice(i, i + 25) }));
    // A fresh function instance (cold start) reads them back.
    const reader = f.handler({ access: 'READ' });
    for (let i = 0; i < items.length; i += 100) ok(await reader.handle({ operation: 'batchGet', keys: items.slice(i, i + 100).map((x) => key(x[SK])) }));
    expect(f.kms.calls.GenerateDataKey).toBe(1);
    expect(f.kms.calls.Decrypt).toBe(1);
  });

  test('max messages per data key bounds reuse', async () => {
    const table = f.handler({ codec: { cache: { maxAgeSeconds: 300, maxMessages: 20, maxBytes: 2 ** 30, capacity: 10 } } });
    for (let i = 0; i < 4; i++) ok(await table.handle({ operation: 'batchPut', items: Array.from({ length: 25 }, (_, j) => item(`m${i}-${j}`)) }));
    expect(f.kms.calls.GenerateDataKey).toBe(5);
  });

  test('cache off: one KMS call per item', async () => {
    const table = f.handler({ codec: { cache: false } });
    ok(await table.handle({ operation: 'batchPut', items: Array.from({ length: 10 }, (_, i) => item(`o${i}`)) }));
    expect(f.kms.calls.GenerateDataKey).toBe(10);
  });
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  async function loadEntry(): Promise<typeof import('../../lambda/envelope/table.entry')> {
    let entry!: typeof import('../../lambda/envelope/table.entry');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      entry = require('../../lambda/envelope/table.entry');
    });
    return entry;
  }
  const context = { awsRequestId: 'req-1', functionName: 'orders-crypto' } as never;

  /** The environment the construct and the Lambda service would set, pointing at the local servers. */
  function setLocalEnvironment(extra: Record<string, string>): void {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'LOCAL',
      AWS_SECRET_ACCESS_KEY: 'LOCAL',
      AWS_ENDPOINT_URL_KMS: f.kms.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: f.db.endpoint,
      ENVELOPE_KEY_ARN: f.keyArn,
      ENVELOPE_TABLE_NAME: 'orders',
      ENVELOPE_PARTITION_KEY: PK,
      ENVELOPE_SORT_KEY: SK,
      ...extra,
    });
  }

  test('the bundled asset that Lambda runs does the same round trip (built by `npx projen bundle`)', async () => {
    // In a plain Node.js process, as in Lambda: the bundle's dynamic imports of Node built-ins do
    // not run inside jest's module sandbox.
    setLocalEnvironment({ ENVELOPE_ATTRIBUTE_ACTIONS: JSON.stringify({ status: 'SIGN_ONLY' }), POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const bundle = path.join(__dirname, '..', '..', 'assets', 'envelope', 'table', 'index.js');
    const script = `
      const { handler } = require(${JSON.stringify(bundle)});
      const context = { awsRequestId: 'req-bundle', functionName: 'orders-crypto' };
      (async () => {
        const put = await handler({ operation: 'put', item: ${JSON.stringify(item('bundled'))} }, context);
        const get = await handler({ operation: 'get', key: ${JSON.stringify(key('bundled'))} }, context);
        process.stdout.write(JSON.stringify({ put, get }));
      })();`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], { env: process.env });
    const { put, get } = JSON.parse(stdout);
    ok(put);
    expect(ok(get).item).toEqual(item('bundled'));
    expect(ok(await f.handler().handle({ operation: 'get', key: key('bundled') })).item).toEqual(item('bundled'));
  });

  test('wired by environment variables to KMS and DynamoDB (endpoints too), round trip', async () => {
    setLocalEnvironment({ ENVELOPE_ATTRIBUTE_ACTIONS: JSON.stringify({ status: 'SIGN_ONLY' }), POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const { handler } = await loadEntry();
    ok(await handler({ operation: 'put', item: item('e1') }, context));
    expect(ok(await handler({ operation: 'get', key: key('e1') }, context)).item).toEqual(item('e1'));
    // The item the entry wrote is readable by a handler built directly (same format).
    expect(ok(await f.handler().handle({ operation: 'get', key: key('e1') })).item).toEqual(item('e1'));
  });

  test('a bad configuration answers every invoke with Misconfigured, naming the variable', async () => {
    setLocalEnvironment({ ENVELOPE_ATTRIBUTE_ACTIONS: '{"card":"ENCRYPT"}', POWERTOOLS_LOG_LEVEL: 'SILENT' });
    delete process.env.ENVELOPE_PARTITION_KEY;
    const { handler } = await loadEntry();
    for (let i = 0; i < 2; i++) {
      const response = await handler({ operation: 'get', key: key('x') }, context);
      expectError(response, ErrorCode.MISCONFIGURED);
      expect(!response.ok && response.error.message).toMatch(/ENVELOPE_ATTRIBUTE_ACTIONS\["card"\] must be one of|ENVELOPE_PARTITION_KEY is required/);
    }
  });

  test('logs carry operation, outcome and request id, never values', async () => {
    setLocalEnvironment({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    const text = await captureOutput(async () => {
      const { handler } = await loadEntry();
      ok(await handler({ operation: 'put', item: item('l1') }, context));
      ok(await handler({ operation: 'get', key: key('l1') }, context));
      expectError(await handler({ operation: 'put', item: { ...item('l2'), aws_envelope: SECRET } }, context), ErrorCode.INVALID_REQUEST);
    });
    expect(text).toContain('"operation":"put"');
    expect(text).toContain('req-1');
    expect(text).toContain('"code":"InvalidRequest"');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('faults'); // not even key values
  });
});
