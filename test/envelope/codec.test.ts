import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import * as fc from 'fast-check';
import { createCodec, Codec, CodecOptions, ESDK_INPUT_BATCH_BYTES, TypedStream } from '../../lambda/envelope/codec';
import { readCodecConfig } from '../../lambda/envelope/config';
import { EnvelopeError, ErrorCode } from '../../lambda/envelope/errors';
import { LocalKmsServer } from '../support/kms-server';

let kms: LocalKmsServer;
let keyArn: string;
const context = { 'aws-envelope:bucket': 'orders', 'aws-envelope:key': 'a/b.json' };

beforeAll(async () => {
  kms = await LocalKmsServer.start();
  keyArn = kms.createKey();
});
afterAll(() => kms.stop());
beforeEach(() => kms.resetCalls());

function codec(options: Partial<CodecOptions> = {}): Codec {
  return createCodec({ keyArn, kms: kms.client({ maxAttempts: 3 }), ...options });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<EnvelopeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvelopeError);
  expect((err as EnvelopeError).code).toBe(code);
  return err as EnvelopeError;
}

async function collect(source: Readable | Buffer, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  await pipeline(input, transform, sink);
  return Buffer.concat(chunks);
}

describe('buffer round trips', () => {
  test.each([0, 1, 1024, 64 * 1024, 3 * 1024 * 1024 + 7])('%d bytes', async (size) => {
    const c = codec();
    const plaintext = Buffer.alloc(size, 7);
    const ciphertext = await c.encrypt(plaintext, context);
    expect(ciphertext.includes(Buffer.from('a/b.json'))).toBe(true); // the context is in the header
    // Buffer.equals: jest's toEqual walks big buffers byte by byte (seconds per MiB).
    expect((await c.decrypt(ciphertext, context)).equals(plaintext)).toBe(true);
  });

  test('the message is a standard ESDK message: the default ESDK client decrypts it', async () => {
    const ciphertext = await codec().encrypt(Buffer.from('hello'), context);
    const sdkV3 = new KMS({ region: kms.region, endpoint: kms.endpoint, credentials: kms.credentials });
    const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => sdkV3 });
    const { plaintext, messageHeader } = await buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).decrypt(keyring, ciphertext);
    expect(plaintext.toString()).toBe('hello');
    expect(messageHeader.encryptionContext).toEqual(context);
    expect(messageHeader.suiteId).toBe(0x0478); // committing, unsigned
  });

  test('a multi-Region key: a replica ARN decrypts what the primary encrypted', async () => {
    const primary = kms.createKey({ multiRegion: true });
    const replica = kms.replicate(primary, 'eu-west-1');
    const ciphertext = await codec({ keyArn: primary }).encrypt(Buffer.from('mrk'), context);
    expect((await codec({ keyArn: replica }).decrypt(ciphertext, context)).toString()).toBe('mrk');
  });
});

describe('bad input', () => {
  test('another context (ciphertext moved to another place) fails with ContextMismatch', async () => {
    const c = codec();
    const ciphertext = await c.encrypt(Buffer.from('secret'), context);
    await expectCode(c.decrypt(ciphertext, { ...context, 'aws-envelope:key': 'other' }), ErrorCode.CONTEXT_MISMATCH);
    await expectCode(c.decrypt(ciphertext, { 'aws-envelope:bucket': 'orders' }), ErrorCode.CONTEXT_MISMATCH);
    await expectCode(c.decrypt(ciphertext, { ...context, extra: 'x' }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('a missing or reserved context is rejected before any KMS call', async () => {
    await expectCode(codec().encrypt(Buffer.from('x'), {}), ErrorCode.INVALID_REQUEST);
    await expectCode(codec().encrypt(Buffer.from('x'), { 'aws-crypto-public-key': 'x' }), ErrorCode.INVALID_REQUEST);
    expect(kms.totalCalls).toBe(0);
  });

  test('every tampered byte of the body and a truncation fail with IntegrityCheckFailed', async () => {
    const c = codec();
    const ciphertext = await c.encrypt(Buffer.alloc(200, 1), context);
    for (const offset of [ciphertext.length - 1, ciphertext.length - 20, ciphertext.length - 150]) {
      const tampered = Buffer.from(ciphertext);
      tampered[offset] ^= 1;
      await expectCode(c.decrypt(tampered, context), ErrorCode.INTEGRITY_CHECK_FAILED);
    }
    await expectCode(c.decrypt(ciphertext.subarray(0, ciphertext.length - 10), context), ErrorCode.INTEGRITY_CHECK_FAILED);
    await expectCode(c.decrypt(Buffer.from('not an esdk message'), context), ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('a tampered header context is caught (header authentication)', async () => {
    const c = codec();
    const ciphertext = await c.encrypt(Buffer.from('secret'), context);
    const at = ciphertext.indexOf(Buffer.from('a/b.json'));
    const tampered = Buffer.from(ciphertext);
    tampered.write('a/c', at);
    const err = await c.decrypt(tampered, { ...context, 'aws-envelope:key': 'a/c.json' }).catch((e: EnvelopeError) => e);
    expect([ErrorCode.INTEGRITY_CHECK_FAILED, ErrorCode.CONTEXT_MISMATCH]).toContain((err as EnvelopeError).code);
  });

  test('a message under another key fails with ContextMismatch, not a KMS call', async () => {
    const other = kms.createKey();
    const ciphertext = await codec({ keyArn: other }).encrypt(Buffer.from('x'), context);
    kms.resetCalls();
    await expectCode(codec().decrypt(ciphertext, context), ErrorCode.CONTEXT_MISMATCH);
    expect(kms.calls.Decrypt).toBe(0);
  });
});

describe('KMS faults', () => {
  test('unknown key', async () => {
    const missing = keyArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    await expectCode(codec({ keyArn: missing }).encrypt(Buffer.from('x'), context), ErrorCode.KEY_NOT_FOUND);
  });

  test('disabled key, on encrypt and on decrypt', async () => {
    const key = kms.createKey();
    const ciphertext = await codec({ keyArn: key }).encrypt(Buffer.from('x'), context);
    kms.disableKey(key);
    await expectCode(codec({ keyArn: key }).encrypt(Buffer.from('x'), context), ErrorCode.KEY_DISABLED);
    await expectCode(codec({ keyArn: key }).decrypt(ciphertext, context), ErrorCode.KEY_DISABLED);
  });

  test('a context the key policy does not allow is AccessDenied', async () => {
    const key = kms.createKey();
    kms.setContextPolicy(key, (_op, ctx) => ctx['aws-envelope:bucket'] === 'orders');
    await codec({ keyArn: key }).encrypt(Buffer.from('x'), context);
    await expectCode(codec({ keyArn: key }).encrypt(Buffer.from('x'), { 'aws-envelope:bucket': 'other' }), ErrorCode.ACCESS_DENIED);
  });

  test('throttling is retried with backoff, then reported as KmsThrottled', async () => {
    kms.throttle(2);
    await codec().encrypt(Buffer.from('x'), context);
    expect(kms.calls.GenerateDataKey).toBe(3);
    kms.throttle(100);
    const err = await expectCode(codec().encrypt(Buffer.from('x'), context), ErrorCode.KMS_THROTTLED);
    expect(err.retryable).toBe(true);
    kms.throttle(0);
  });
});

describe('data-key cache bounds (KMS calls counted at the server)', () => {
  test('default cache: one GenerateDataKey and one Decrypt for 200 messages', async () => {
    const c = codec();
    const messages = [];
    for (let i = 0; i < 200; i++) messages.push(await c.encrypt(Buffer.from(`m${i}`), context));
    for (const m of messages) await c.decrypt(m, context);
    expect(kms.calls.GenerateDataKey).toBe(1);
    expect(kms.calls.Decrypt).toBe(1);
  });

  test('max messages per data key', async () => {
    const c = codec({ cache: { maxAgeSeconds: 300, maxMessages: 10, maxBytes: 2 ** 30, capacity: 10 } });
    for (let i = 0; i < 100; i++) await c.encrypt(Buffer.from('x'), context);
    expect(kms.calls.GenerateDataKey).toBe(10);
  });

  test('max bytes per data key', async () => {
    const c = codec({ cache: { maxAgeSeconds: 300, maxMessages: 1000, maxBytes: 1000, capacity: 10 } });
    for (let i = 0; i < 10; i++) await c.encrypt(Buffer.alloc(500), context);
    expect(kms.calls.GenerateDataKey).toBe(5);
  });

  test('max age', async () => {
    const c = codec({ cache: { maxAgeSeconds: 1, maxMessages: 1000, maxBytes: 2 ** 30, capacity: 10 } });
    await c.encrypt(Buffer.from('x'), context);
    await c.encrypt(Buffer.from('x'), context);
    await new Promise((r) => setTimeout(r, 1100));
    await c.encrypt(Buffer.from('x'), context);
    expect(kms.calls.GenerateDataKey).toBe(2);
  });

  test('cache off: one KMS call per message; each context is its own cache entry', async () => {
    const off = codec({ cache: false });
    for (let i = 0; i < 5; i++) await off.encrypt(Buffer.from('x'), context);
    expect(kms.calls.GenerateDataKey).toBe(5);
    kms.resetCalls();
    const on = codec();
    for (let i = 0; i < 5; i++) await on.encrypt(Buffer.from('x'), { ...context, n: String(i) });
    expect(kms.calls.GenerateDataKey).toBe(5);
  });
});

/** `data` cut at the given increasing offsets. */
function split(data: Buffer, points: readonly number[]): Buffer[] {
  const bounds = [0, ...points, data.length];
  return bounds.slice(1).map((end, i) => data.subarray(bounds[i], end));
}

describe('streams', () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 11);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);

  test('round trip through encryptStream and decryptStream', async () => {
    const c = codec({ frameLength: 256 * 1024 });
    const ciphertext = await collect(big, c.encryptStream(context, { plaintextLength: big.length }));
    expect((await collect(ciphertext, c.decryptStream(context))).equals(big)).toBe(true);
    // The buffer API reads the streamed message too.
    expect((await c.decrypt(ciphertext, context)).equals(big)).toBe(true);
  });

  test('a wrong context releases no plaintext', async () => {
    const c = codec();
    const ciphertext = await c.encrypt(big, context);
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    });
    const err = await pipeline(Readable.from([ciphertext]), c.decryptStream({ ...context, 'aws-envelope:key': 'x' }), sink).catch((e) => e);
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err.code).toBe(ErrorCode.CONTEXT_MISMATCH);
    expect(chunks).toHaveLength(0);
  });

  test('a tampered last frame fails the stream with IntegrityCheckFailed', async () => {
    const c = codec({ frameLength: 64 * 1024 });
    const ciphertext = await c.encrypt(big, context);
    ciphertext[ciphertext.length - 5] ^= 1;
    const err = await collect(ciphertext, c.decryptStream(context)).catch((e) => e);
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err.code).toBe(ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('any chunking of the input (S3 delivers 16 KiB TLS records) gives a message that decrypts to the input', async () => {
    const c = codec({ frameLength: 64 * 1024 });
    const plaintext = big.subarray(0, 700 * 1024 + 3);
    // Cut points anywhere: 1-byte chunks, chunks around the batch size, chunks spanning frames.
    const cuts = fc.uniqueArray(fc.integer({ min: 1, max: plaintext.length - 1 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));
    await fc.assert(fc.asyncProperty(cuts, fc.integer({ min: 1, max: 3 * 16384 }), async (points, cipherChunk) => {
      const ciphertext = await collect(Readable.from(split(plaintext, points)), c.encryptStream(context));
      const pieces = split(ciphertext, Array.from({ length: Math.floor((ciphertext.length - 1) / cipherChunk) }, (_, i) => (i + 1) * cipherChunk));
      expect((await collect(Readable.from(pieces), c.decryptStream(context))).equals(plaintext)).toBe(true);
    }), { numRuns: 12 });
  });

  test('a KMS failure surfaces with its code on the stream', async () => {
    const key = kms.createKey({ enabled: false });
    const err = await collect(Buffer.from('x'), codec({ keyArn: key }).encryptStream(context)).catch((e) => e);
    expect(err.code).toBe(ErrorCode.KEY_DISABLED);
  });
});

describe('configuration from the environment', () => {
  const base = { ENVELOPE_KEY_ARN: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' };

  test('defaults', () => {
    const config = readCodecConfig(base);
    expect(config).toMatchObject({ frameLength: 1024 * 1024, kmsMaxAttempts: 5, cache: { maxAgeSeconds: 300, maxMessages: 4096 } });
  });

  test.each([
    [{}, /ENVELOPE_KEY_ARN is required/],
    [{ ENVELOPE_KEY_ARN: 'alias/orders' }, /must be a KMS key ARN/],
    [{ ...base, ENVELOPE_ALGORITHM_SUITE: 'AES128' }, /ENVELOPE_ALGORITHM_SUITE must be one of/],
    [{ ...base, ENVELOPE_CACHE_MAX_MESSAGES: '0' }, /ENVELOPE_CACHE_MAX_MESSAGES must be an integer from 1/],
    [{ ...base, ENVELOPE_FRAME_LENGTH: 'big' }, /ENVELOPE_FRAME_LENGTH must be an integer/],
  ])('%j is rejected', (env, message) => {
    expect(() => readCodecConfig(env)).toThrow(message);
  });

  test('max age 0 turns the cache off', () => {
    expect(readCodecConfig({ ...base, ENVELOPE_CACHE_MAX_AGE_SECONDS: '0' }).cache).toBe(false);
  });
});

describe('stream faults', () => {
  test('a synchronous throw inside the ESDK stream becomes a typed stream error, not a crash', async () => {
    const exploding = new Duplex({
      read() {},
      write() {
        throw new Error('boom from inside the SDK');
      },
    });
    const typed = new TypedStream(exploding, (err) => new EnvelopeError(ErrorCode.INTERNAL, 'Encryption failed', { cause: err }));
    const source = new PassThrough();
    source.end(Buffer.from('data'));
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await expect(pipeline(source, typed, sink)).rejects.toMatchObject({ code: ErrorCode.INTERNAL, message: 'Encryption failed' });
  });
});

describe('input batching (TypedStream batchBytes)', () => {
  /** An inner stream that records the writes it receives. */
  function recorder() {
    const writes: Buffer[] = [];
    const inner = new Duplex({
      read() {},
      write(chunk: Buffer, _e, done) {
        writes.push(chunk);
        done();
      },
      final(done) {
        this.push(null);
        done();
      },
    });
    return { inner, writes };
  }
  const classify = (err: unknown) => new EnvelopeError(ErrorCode.INTERNAL, 'Encryption failed', { cause: err });

  test('16 KiB chunks reach the inner stream gathered to at least the batch size, in order, the rest at the end', async () => {
    const { inner, writes } = recorder();
    const input = Buffer.alloc(20 * 16384 + 5);
    for (let i = 0; i < input.length; i++) input[i] = i % 251;
    const chunks = split(input, Array.from({ length: 20 }, (_, i) => (i + 1) * 16384));
    await collect(Readable.from(chunks), new TypedStream(inner, classify, false, ESDK_INPUT_BATCH_BYTES));
    expect(writes.slice(0, -1).every((w) => w.length >= ESDK_INPUT_BATCH_BYTES && w.length < ESDK_INPUT_BATCH_BYTES + 16384)).toBe(true);
    expect(writes.length).toBe(Math.ceil(input.length / ESDK_INPUT_BATCH_BYTES));
    expect(Buffer.concat(writes).equals(input)).toBe(true);
  });

  test('a chunk at least the batch size passes on as it is (no copy)', async () => {
    const { inner, writes } = recorder();
    const large = Buffer.alloc(ESDK_INPUT_BATCH_BYTES + 1, 1);
    await collect(Readable.from([large]), new TypedStream(inner, classify, false, ESDK_INPUT_BATCH_BYTES));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe(large);
  });

  test('a throw while the last batch is handed on at the end is a typed stream error', async () => {
    const exploding = new Duplex({
      read() {},
      write() {
        throw new Error('boom from inside the SDK');
      },
    });
    const typed = new TypedStream(exploding, classify, false, ESDK_INPUT_BATCH_BYTES);
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    // Smaller than a batch: nothing reaches the inner stream until the input ends.
    await expect(pipeline(Readable.from([Buffer.from('data')]), typed, sink)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });

  test('an empty input reaches the inner stream as an end only', async () => {
    const { inner, writes } = recorder();
    expect((await collect(Readable.from([]), new TypedStream(inner, classify, false, ESDK_INPUT_BATCH_BYTES))).length).toBe(0);
    expect(writes).toHaveLength(0);
  });
});
