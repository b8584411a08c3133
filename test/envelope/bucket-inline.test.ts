/**
 * Inline put/get through the real codec, a local KMS (JSON wire protocol) and s3rver.
 */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { BucketFixture, getBytes, LAYOUT, pattern, putBytes, startBucketFixture } from './bucket-fixture';
import { handleInlineRequest } from '../../lambda/envelope/bucket-inline';
import { createCodec } from '../../lambda/envelope/codec';
import { INLINE_MAX_BYTES, layoutFromEnv, OBJECT_CONTEXT_KEYS } from '../../lambda/envelope/object-location';

let fx: BucketFixture;
beforeAll(async () => {
  fx = await startBucketFixture();
});
afterAll(async () => fx.stop());

const put = (key: string, data: Buffer, contentType?: string) =>
  handleInlineRequest(fx.deps, { operation: 'put', key, data: data.toString('base64'), contentType });
const get = (key: string) => handleInlineRequest(fx.deps, { operation: 'get', key });

function errorCode(response: unknown): string | undefined {
  return (response as { ok: boolean; error?: { code: string } }).error?.code;
}

describe('round trips', () => {
  test.each([
    ['empty', 0],
    ['1 KiB', 1024],
    ['64 KiB', 64 * 1024],
    ['1 MiB + 3', 1024 * 1024 + 3],
    ['4 MiB (the limit)', INLINE_MAX_BYTES],
  ])('%s object', async (_name, size) => {
    const plaintext = pattern(size, size + 7);
    const key = `sizes/${size}.bin`;
    expect(await put(key, plaintext, 'application/x-test')).toMatchObject({ ok: true, key });

    const response = await get(key);
    expect(response).toMatchObject({ ok: true, key, contentType: 'application/x-test' });
    expect(Buffer.from((response as { data: string }).data, 'base64').equals(plaintext)).toBe(true);

    // What S3 holds is an ESDK message (version 2 header), not the plaintext.
    const stored = await getBytes(fx.s3, `protected/${key}`);
    expect(stored[0]).toBe(0x02);
    if (size >= 1024) expect(stored.includes(plaintext.subarray(0, 64))).toBe(false);
  });

  test('each object is encrypted under the bucket and its own key (sent to KMS as the context)', async () => {
    const seen: Array<Record<string, string>> = [];
    fx.kms.setContextPolicy(fx.keyArn, (_operation, context) => {
      seen.push(context);
      return true;
    });
    try {
      // A context never used before, so the data-key cache cannot answer.
      await put('context/one.txt', Buffer.from('hello'));
    } finally {
      fx.kms.setContextPolicy(fx.keyArn, undefined);
    }
    expect(seen).toContainEqual({ [OBJECT_CONTEXT_KEYS.bucket]: LAYOUT.bucket, [OBJECT_CONTEXT_KEYS.objectKey]: 'protected/context/one.txt' });
  });
});

describe('bad input gets a typed error response', () => {
  test('data over 4 MiB', async () => {
    const response = await put('big.bin', Buffer.alloc(INLINE_MAX_BYTES + 1));
    expect(errorCode(response)).toBe('PayloadTooLarge');
    expect((response as { error: { message: string } }).error.message).toMatch(/intake prefix/);
  });

  test.each([
    ['not an object', 'put'],
    ['unknown operation', { operation: 'delete', key: 'a' }],
    ['missing key', { operation: 'get' }],
    ['key climbing out', { operation: 'get', key: '../intake/secret' }],
    ['absolute key', { operation: 'get', key: '/etc/passwd' }],
    ['data not base64', { operation: 'put', key: 'a', data: 'not base64!' }],
    ['data missing', { operation: 'put', key: 'a' }],
    ['contentType not a string', { operation: 'put', key: 'a', data: 'AAAA', contentType: 5 }],
  ])('%s', async (_name, request) => {
    expect(errorCode(await handleInlineRequest(fx.deps, request))).toBe('InvalidRequest');
  });

  test('a missing object', async () => {
    expect(await get('no/such/object')).toEqual({ ok: false, error: expect.objectContaining({ code: 'NotFound', retryable: false }) });
  });

  test('a ciphertext moved to another object fails to decrypt', async () => {
    await put('moves/original.txt', Buffer.from('payroll'));
    await fx.s3.send(new CopyObjectCommand({
      Bucket: LAYOUT.bucket,
      CopySource: `${LAYOUT.bucket}/protected/moves/original.txt`,
      Key: 'protected/moves/copy.txt',
    }));
    const response = await get('moves/copy.txt');
    expect(errorCode(response)).toBe('ContextMismatch');
    expect(JSON.stringify(response)).not.toContain('payroll');
  });

  test('a tampered byte fails the integrity check', async () => {
    await put('tamper/a.bin', pattern(4096));
    const stored = await getBytes(fx.s3, 'protected/tamper/a.bin');
    stored[stored.length - 100] ^= 0x01;
    await putBytes(fx.s3, 'protected/tamper/a.bin', stored);
    expect(errorCode(await get('tamper/a.bin'))).toBe('IntegrityCheckFailed');
  });

  test('a truncated object fails the integrity check', async () => {
    await put('tamper/b.bin', pattern(4096));
    const stored = await getBytes(fx.s3, 'protected/tamper/b.bin');
    await putBytes(fx.s3, 'protected/tamper/b.bin', stored.subarray(0, stored.length - 10));
    expect(errorCode(await get('tamper/b.bin'))).toBe('IntegrityCheckFailed');
  });

  test('a stored object over the inline limit points to the function URL', async () => {
    await putBytes(fx.s3, 'protected/huge.bin', Buffer.alloc(INLINE_MAX_BYTES + 128 * 1024));
    expect(errorCode(await get('huge.bin'))).toBe('PayloadTooLarge');
  });
});

describe('KMS faults', () => {
  test('an unknown key', async () => {
    const deps = { ...fx.deps, crypto: createCodec({ keyArn: fx.keyArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000'), kms: fx.kms.client() }) };
    expect(errorCode(await handleInlineRequest(deps, { operation: 'put', key: 'k', data: 'AAAA' }))).toBe('KeyNotFound');
  });

  test('a disabled key', async () => {
    const keyArn = fx.kms.createKey({ enabled: false });
    const deps = { ...fx.deps, crypto: createCodec({ keyArn, kms: fx.kms.client() }) };
    expect(errorCode(await handleInlineRequest(deps, { operation: 'put', key: 'k', data: 'AAAA' }))).toBe('KeyDisabled');
  });

  test('throttling is retried, then reported as retryable', async () => {
    const keyArn = fx.kms.createKey();
    const deps = { ...fx.deps, crypto: createCodec({ keyArn, kms: fx.kms.client({ maxAttempts: 2 }) }) };
    fx.kms.resetCalls();
    fx.kms.throttle(2);
    const response = await handleInlineRequest(deps, { operation: 'put', key: 'throttled', data: 'AAAA' });
    expect(response).toEqual({ ok: false, error: expect.objectContaining({ code: 'KmsThrottled', retryable: true }) });
    expect(fx.kms.calls.GenerateDataKey).toBe(2);

    fx.kms.throttle(1);
    expect(await handleInlineRequest(deps, { operation: 'put', key: 'throttled', data: 'AAAA' })).toMatchObject({ ok: true });
  });
});

test('a function without its environment is misconfigured', () => {
  expect(() => layoutFromEnv({ BUCKET_NAME: 'b' })).toThrow(expect.objectContaining({ code: 'Misconfigured' }));
});
