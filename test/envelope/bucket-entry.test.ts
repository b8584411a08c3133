/**
 * The three Lambda entry points of the bucket, wired only by the environment the construct and the
 * Lambda service set (endpoints pointed at s3rver and the local KMS), and what they log.
 */
import { Writable } from 'node:stream';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { BucketFixture, CollectingSink, exists, LAYOUT, objectCreatedEvent, putBytes, startBucketFixture } from './bucket-fixture';
import { captureOutput } from '../support/capture-output';
import { TEST_CREDENTIALS } from '../support/s3rver';

let fx: BucketFixture;
beforeAll(async () => {
  fx = await startBucketFixture();
});
afterAll(async () => fx.stop());

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  (globalThis as { awslambda?: unknown }).awslambda = savedRuntimeGlobal;
});
// Not undefined: @aws/lambda-invoke-store creates an empty `awslambda` global outside Lambda.
const savedRuntimeGlobal = (globalThis as { awslambda?: unknown }).awslambda;

function setLocalEnvironment(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KMS: fx.kms.endpoint,
    AWS_ENDPOINT_URL_S3: fx.localS3.endpoint,
    // s3rver corrupts streamed uploads that carry flexible checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    ENVELOPE_KEY_ARN: fx.keyArn,
    BUCKET_NAME: LAYOUT.bucket,
    INTAKE_PREFIX: LAYOUT.intakePrefix,
    PROTECTED_PREFIX: LAYOUT.protectedPrefix,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extra,
  });
}

/** Loads an entry module afresh (its dependencies are built once per module instance, as per cold start). */
function load<T>(entry: string): T {
  let module!: T;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(`../../lambda/envelope/${entry}`);
  });
  return module;
}

type InlineHandler = (event: unknown) => Promise<any>;
type IntakeHandler = (event: unknown) => Promise<any>;
type ReadHandler = (event: LambdaFunctionURLEvent, responseStream: Writable) => Promise<void>;

const urlEvent = (path: string) => ({ rawPath: path, requestContext: { http: { method: 'GET' } } }) as unknown as LambdaFunctionURLEvent;

test('inline put and get, intake encryption and a streamed read, all through the entry points', async () => {
  setLocalEnvironment();
  const inline = load<{ handler: InlineHandler }>('bucket.entry').handler;
  const data = Buffer.from('wired by environment').toString('base64');
  expect(await inline({ operation: 'put', key: 'entry/inline.txt', data })).toMatchObject({ ok: true });
  expect(await inline({ operation: 'get', key: 'entry/inline.txt' })).toMatchObject({ ok: true, data });

  await putBytes(fx.s3, 'intake/entry/streamed.txt', Buffer.from('streamed through the entry'), 'text/plain');
  const intake = load<{ handler: IntakeHandler }>('object-intake.entry').handler;
  expect(await intake(objectCreatedEvent('intake/entry/streamed.txt'))).toEqual([expect.objectContaining({ outcome: 'encrypted' })]);
  expect(await exists(fx.s3, 'intake/entry/streamed.txt')).toBe(false);

  // In Lambda, the runtime's `awslambda` global provides response streaming.
  const preludes: unknown[] = [];
  (globalThis as { awslambda?: unknown }).awslambda = {
    streamifyResponse: (handler: ReadHandler) => handler,
    HttpResponseStream: {
      from: (stream: Writable, prelude: unknown) => {
        preludes.push(prelude);
        return stream;
      },
    },
  };
  const read = load<{ handler: ReadHandler }>('object-read.entry').handler;
  const sink = new CollectingSink();
  await read(urlEvent('/entry/streamed.txt'), sink);
  expect(preludes).toEqual([{ statusCode: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } }]);
  expect(sink.bytes.toString()).toBe('streamed through the entry');
});

test('without response streaming in the runtime global the read entry answers a buffered response', async () => {
  setLocalEnvironment();
  const inline = load<{ handler: InlineHandler }>('bucket.entry').handler;
  await inline({ operation: 'put', key: 'entry/buffered.txt', data: Buffer.from('buffered').toString('base64') });
  const read = load<{ handler: (event: LambdaFunctionURLEvent) => Promise<{ statusCode: number; body: string }> }>('object-read.entry').handler;
  const response = await read(urlEvent('/entry/buffered.txt'));
  expect(response.statusCode).toBe(200);
  expect(Buffer.from(response.body, 'base64').toString()).toBe('buffered');
});

test('a missing variable answers every invoke with Misconfigured, naming it', async () => {
  setLocalEnvironment();
  delete process.env.PROTECTED_PREFIX;
  const inline = load<{ handler: InlineHandler }>('bucket.entry').handler;
  for (let i = 0; i < 2; i++) {
    expect(await inline({ operation: 'get', key: 'a' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'Misconfigured', message: expect.stringContaining('PROTECTED_PREFIX') }),
    });
  }
  const intake = load<{ handler: IntakeHandler }>('object-intake.entry').handler;
  await expect(intake(objectCreatedEvent('intake/x'))).rejects.toThrow(/PROTECTED_PREFIX/);
});

test('logs carry operation and outcome, never object names, payloads or keys', async () => {
  setLocalEnvironment({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });
  const secret = 'top-secret-payload';
  const data = Buffer.from(secret).toString('base64');
  const log = await captureOutput(async () => {
    const inline = load<{ handler: InlineHandler }>('bucket.entry').handler;
    await inline({ operation: 'put', key: 'secret-name/x.txt', data });
    await inline({ operation: 'get', key: 'secret-name/x.txt' });
    await inline({ operation: 'get', key: 'secret-name/missing.txt' });
  });
  expect(log).toMatch(/"operation":"put"/);
  expect(log).toMatch(/"code":"NotFound"/);
  for (const forbidden of [secret, data, 'secret-name', fx.keyArn.split('/')[1]]) expect(log).not.toContain(forbidden);
});
