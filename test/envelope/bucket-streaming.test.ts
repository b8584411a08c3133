/**
 * The streaming path through s3rver and a local KMS: intake encryption into a multipart upload,
 * streaming reads for the function URL, and what is left behind when either fails mid-stream.
 */
import { Transform } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LambdaFunctionURLEvent, S3Event } from 'aws-lambda';
import {
  BucketFixture, CollectingSink, exists, getBytes, LAYOUT, objectCreatedEvent, pattern, putBytes, recordCommands, startBucketFixture,
} from './bucket-fixture';
import { BucketDeps } from '../../lambda/envelope/bucket-env';
import { createCodec } from '../../lambda/envelope/codec';
import { EnvelopeError, ErrorCode } from '../../lambda/envelope/errors';
import { encryptIntakeObject, handleIntakeEvent } from '../../lambda/envelope/object-intake';
import { CONTENT_TYPE_METADATA } from '../../lambda/envelope/object-location';
import { MIN_PART_SIZE, uploadMultipart } from '../../lambda/envelope/object-multipart';
import {
  bufferedReadRequest, handleReadRequest, ResponseCutError, ResponseHead, streamProtectedObject,
} from '../../lambda/envelope/object-read';

const MiB = 1024 * 1024;

let fx: BucketFixture;
beforeAll(async () => {
  fx = await startBucketFixture();
});
afterAll(async () => fx.stop());

/** Reads a protected object the way the function URL does, into memory. */
async function read(name: string, deps: BucketDeps = fx.deps): Promise<{ head?: ResponseHead; sink: CollectingSink; error?: unknown }> {
  const sink = new CollectingSink();
  let head: ResponseHead | undefined;
  try {
    await streamProtectedObject(deps, name, (h) => {
      head = h;
      return sink;
    });
    return { head, sink };
  } catch (error) {
    return { head, sink, error };
  }
}

/** A stream that passes `limit` bytes through and then fails. */
function failAfter(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new Error('injected fault'));
      else done(null, chunk);
    },
  });
}

function urlEvent(path: string, method = 'GET', queryStringParameters?: Record<string, string>): LambdaFunctionURLEvent {
  return { rawPath: path, queryStringParameters, requestContext: { http: { method } } } as unknown as LambdaFunctionURLEvent;
}

describe('intake encryption', () => {
  test.each([
    ['1 KiB, one part', 1024],
    ['20 MiB + 5, several parts', 20 * MiB + 5],
  ])('%s: encrypted into the protected prefix, intake deleted, readable back', async (_name, size) => {
    const plaintext = pattern(size, size);
    await putBytes(fx.s3, `intake/sizes/${size}.bin`, plaintext, 'text/csv');

    const results = await handleIntakeEvent(fx.deps, objectCreatedEvent(`intake/sizes/${size}.bin`));
    expect(results).toEqual([expect.objectContaining({ outcome: 'encrypted', protectedKey: `protected/sizes/${size}.bin` })]);
    expect(await exists(fx.s3, `intake/sizes/${size}.bin`)).toBe(false);

    const stored = await getBytes(fx.s3, `protected/sizes/${size}.bin`);
    expect(stored.length).toBeGreaterThan(size);
    expect(stored.includes(plaintext.subarray(0, 64))).toBe(false);

    const { head, sink, error } = await read(`sizes/${size}.bin`);
    expect(error).toBeUndefined();
    expect(head).toEqual({ statusCode: 200, headers: { 'content-type': 'text/csv', 'cache-control': 'no-store' } });
    expect(sink.bytes.equals(plaintext)).toBe(true);
  });

  test('keys from S3 events are URL-decoded', async () => {
    await putBytes(fx.s3, 'intake/my report (final).txt', Buffer.from('quarterly'));
    await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/my report (final).txt'));
    expect((await read('my report (final).txt')).sink.bytes.toString()).toBe('quarterly');
  });

  test('the event s3rver itself emits drives the handler', async () => {
    const events: S3Event[] = [];
    const listener = (event: S3Event) => events.push(event);
    fx.localS3.server.on('event', listener);
    try {
      await putBytes(fx.s3, 'intake/from-event.txt', Buffer.from('via s3rver event'));
    } finally {
      fx.localS3.server.off('event', listener);
    }
    expect(events).toHaveLength(1);
    await handleIntakeEvent(fx.deps, events[0]);
    expect((await read('from-event.txt')).sink.bytes.toString()).toBe('via s3rver event');
  });

  test('an event delivered twice finds the intake object gone and succeeds', async () => {
    await putBytes(fx.s3, 'intake/twice.txt', Buffer.from('once'));
    await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/twice.txt'));
    expect(await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/twice.txt'))).toEqual([expect.objectContaining({ outcome: 'gone' })]);
    expect((await read('twice.txt')).sink.bytes.toString()).toBe('once');
  });

  test('events for another bucket or outside the intake prefix fail and touch nothing', async () => {
    await putBytes(fx.s3, 'elsewhere/a.txt', Buffer.from('left alone'));
    await expect(handleIntakeEvent(fx.deps, objectCreatedEvent('elsewhere/a.txt'))).rejects.toThrow(/1 of 1 intake objects failed/);
    await expect(handleIntakeEvent(fx.deps, objectCreatedEvent('intake/a.txt', 'other-bucket'))).rejects.toThrow(EnvelopeError);
    expect(await exists(fx.s3, 'elsewhere/a.txt')).toBe(true);
  });

  test('a fault mid-stream aborts the multipart upload, leaves the intake object and no protected object', async () => {
    const plaintext = pattern(24 * MiB, 99);
    await putBytes(fx.s3, 'intake/fault.bin', plaintext);
    const s3 = fx.localS3.client();
    const sent = recordCommands(s3);
    // The codec's output fails after two parts' worth of ciphertext, i.e. mid-upload.
    const crypto = {
      ...fx.deps.crypto,
      encryptStream: (...args: Parameters<typeof fx.deps.crypto.encryptStream>) => fx.deps.crypto.encryptStream(...args).pipe(failAfter(17 * MiB)),
    };

    await expect(encryptIntakeObject({ ...fx.deps, s3, crypto }, 'intake/fault.bin')).rejects.toThrow('injected fault');

    const names = sent.map((c) => c.name);
    expect(names.filter((n) => n === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(names).not.toContain('CompleteMultipartUploadCommand');
    expect(names).not.toContain('DeleteObjectCommand');
    const created = sent.find((c) => c.name === 'CreateMultipartUploadCommand');
    const aborted = sent.find((c) => c.name === 'AbortMultipartUploadCommand');
    expect(aborted?.input).toMatchObject({ Bucket: LAYOUT.bucket, Key: 'protected/fault.bin' });
    expect(aborted?.input.UploadId).toEqual(expect.any(String));
    expect(created).toBeDefined();

    expect(await exists(fx.s3, 'protected/fault.bin')).toBe(false);
    expect((await getBytes(fx.s3, 'intake/fault.bin')).equals(plaintext)).toBe(true);
  });

  test('KMS throttling fails the intake cleanly: the event is retried later, the plaintext stays', async () => {
    const keyArn = fx.kms.createKey();
    const deps = { ...fx.deps, crypto: createCodec({ keyArn, kms: fx.kms.client({ maxAttempts: 1 }) }) };
    await putBytes(fx.s3, 'intake/throttled.txt', Buffer.from('later'));
    fx.kms.throttle(1);
    await expect(handleIntakeEvent(deps, objectCreatedEvent('intake/throttled.txt'))).rejects.toThrow(/failed/);
    expect(await exists(fx.s3, 'intake/throttled.txt')).toBe(true);
    expect(await exists(fx.s3, 'protected/throttled.txt')).toBe(false);

    await handleIntakeEvent(deps, objectCreatedEvent('intake/throttled.txt'));
    expect((await read('throttled.txt', deps)).sink.bytes.toString()).toBe('later');
  });
});

describe('multipart writer', () => {
  test('fixed-size parts in order, the last one short', async () => {
    const s3 = fx.localS3.client();
    const sent = recordCommands(s3);
    const body = pattern(3 * MIN_PART_SIZE + 1);
    const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));

    const result = await uploadMultipart(chunks, { s3, bucket: LAYOUT.bucket, key: 'multipart/a.bin', partSize: MIN_PART_SIZE, concurrency: 2 });

    expect(result).toMatchObject({ bytes: body.length, parts: 4 });
    expect(sent.filter((c) => c.name === 'UploadPartCommand').map((c) => c.input.ContentLength)).toEqual([
      MIN_PART_SIZE, MIN_PART_SIZE, MIN_PART_SIZE, 1,
    ]);
    expect((await getBytes(fx.s3, 'multipart/a.bin')).equals(body)).toBe(true);
  });

  test('a failed part upload aborts (the original error is thrown even when aborting fails)', async () => {
    const s3 = fx.localS3.client();
    const sent = recordCommands(s3);
    // s3rver cannot fail a part on demand: a middleware fails the second one.
    s3.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { PartNumber?: number };
      if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2) throw new Error('part 2 lost');
      return next(args);
    }, { step: 'initialize', name: 'failPart2' });
    const abortFailures: unknown[] = [];

    await expect(uploadMultipart([pattern(3 * MIN_PART_SIZE)], {
      s3, bucket: LAYOUT.bucket, key: 'multipart/b.bin', partSize: MIN_PART_SIZE, onAbortFailure: (err) => abortFailures.push(err),
    })).rejects.toThrow('part 2 lost');

    expect(sent.map((c) => c.name)).toContain('AbortMultipartUploadCommand');
    expect(sent.map((c) => c.name)).not.toContain('CompleteMultipartUploadCommand');
    // s3rver does not implement AbortMultipartUpload: its refusal is reported, not thrown.
    expect(abortFailures).toHaveLength(1);
    expect(await exists(fx.s3, 'multipart/b.bin')).toBe(false);
  });

  test('rejects parts smaller than S3 allows', async () => {
    await expect(uploadMultipart([], { s3: fx.s3, bucket: LAYOUT.bucket, key: 'x', partSize: 1024 })).rejects.toThrow(RangeError);
  });
});

describe('streaming reads', () => {
  beforeAll(async () => {
    await putBytes(fx.s3, 'intake/read/three-frames.bin', pattern(3 * MiB + 17, 3));
    await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/read/three-frames.bin'));
  });

  test('a ciphertext moved to another key gets a clean error before any byte is sent', async () => {
    const stored = await getBytes(fx.s3, 'protected/read/three-frames.bin');
    await putBytes(fx.s3, 'protected/read/moved.bin', stored);
    const { head, error, sink } = await read('read/moved.bin');
    expect(head).toBeUndefined();
    expect(error).toMatchObject({ code: ErrorCode.CONTEXT_MISMATCH });
    expect(sink.chunks).toHaveLength(0);
  });

  test('a tampered last frame cuts the response: authenticated frames only, never a clean end', async () => {
    const plaintext = pattern(3 * MiB + 17, 3);
    await putBytes(fx.s3, 'intake/read/tampered.bin', plaintext);
    await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/read/tampered.bin'));
    const stored = await getBytes(fx.s3, 'protected/read/tampered.bin');
    stored[stored.length - 40] ^= 0x80;
    await putBytes(fx.s3, 'protected/read/tampered.bin', stored);

    const { head, error, sink } = await read('read/tampered.bin');
    expect(head?.statusCode).toBe(200);
    expect(error).toBeInstanceOf(ResponseCutError);
    expect((error as ResponseCutError).cause).toMatchObject({ code: ErrorCode.INTEGRITY_CHECK_FAILED });
    expect(sink.destroyed).toBe(true);
    expect(sink.writableFinished).toBe(false);
    expect(sink.bytes.length).toBeLessThan(plaintext.length);
    expect(sink.bytes.equals(plaintext.subarray(0, sink.bytes.length))).toBe(true);
  });

  test('a truncated object is cut as well', async () => {
    await putBytes(fx.s3, 'intake/read/truncated.bin', pattern(3 * MiB + 17, 3));
    await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/read/truncated.bin'));
    const stored = await getBytes(fx.s3, 'protected/read/truncated.bin');
    await putBytes(fx.s3, 'protected/read/truncated.bin', stored.subarray(0, stored.length - 1000));

    const { error, sink } = await read('read/truncated.bin');
    expect(error).toBeInstanceOf(ResponseCutError);
    expect(sink.writableFinished).toBe(false);
  });

  test('function URL requests: 200 with the plaintext, JSON errors with HTTP statuses', async () => {
    const ok = await bufferedReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin'));
    expect(ok.statusCode).toBe(200);
    expect(Buffer.from(ok.body, 'base64').equals(pattern(3 * MiB + 17, 3))).toBe(true);

    const cases: Array<[LambdaFunctionURLEvent, number, string]> = [
      [urlEvent('/read/missing.bin'), 404, 'NotFound'],
      [urlEvent('/read/moved.bin'), 422, 'ContextMismatch'],
      [urlEvent('/read/three-frames.bin', 'POST'), 400, 'InvalidRequest'],
      [urlEvent('/%E0%A4%A'), 400, 'InvalidRequest'],
      [urlEvent('/../intake/secret'), 400, 'InvalidRequest'],
    ];
    for (const [event, status, code] of cases) {
      const response = await bufferedReadRequest(() => fx.deps, event);
      expect({ status: response.statusCode, body: JSON.parse(Buffer.from(response.body, 'base64').toString()) })
        .toEqual({ status, body: { ok: false, error: expect.objectContaining({ code }) } });
    }
  });

  test('an object over the streamed-response limit gets a clean 413 before any byte', async () => {
    const response = await bufferedReadRequest(() => ({ ...fx.deps, maxResponseBytes: 3 * MiB }), urlEvent('/read/three-frames.bin'));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(Buffer.from(response.body, 'base64').toString()).error).toMatchObject({
      code: 'PayloadTooLarge', message: expect.stringContaining('streamed Lambda response'),
    });
  });

  describe('windows (?offset=&length=) read objects larger than one streamed response', () => {
    const whole = pattern(3 * MiB + 17, 3);
    const body = (response: { body: string }) => Buffer.from(response.body, 'base64');
    const errorOf = (response: { body: string }) => JSON.parse(body(response).toString()).error;

    test('a window across a frame boundary is exactly that slice of the plaintext', async () => {
      const response = await bufferedReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin', 'GET', { offset: String(MiB - 5), length: '10' }));
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-envelope-offset']).toBe(String(MiB - 5));
      expect(body(response).equals(whole.subarray(MiB - 5, MiB + 5))).toBe(true);
    });

    test('a window past the end returns what is left; an offset at the end is 416', async () => {
      const tail = await bufferedReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin', 'GET', { offset: String(3 * MiB), length: String(MiB) }));
      expect(body(tail).equals(whole.subarray(3 * MiB))).toBe(true);
      const past = await bufferedReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin', 'GET', { offset: String(whole.length), length: '1' }));
      expect(past.statusCode).toBe(416);
      expect(errorOf(past).code).toBe('RangeNotSatisfiable');
    });

    test('an object over the limit is read in parts of at most the limit, and the parts add up to it', async () => {
      const deps = () => ({ ...fx.deps, maxResponseBytes: MiB });
      const whole413 = await bufferedReadRequest(deps, urlEvent('/read/three-frames.bin'));
      expect(whole413.statusCode).toBe(413);
      expect(errorOf(whole413).message).toContain('?offset=<n>&length=<at most 1048576>');
      const tooWide = await bufferedReadRequest(deps, urlEvent('/read/three-frames.bin', 'GET', { offset: '0', length: String(MiB + 1) }));
      expect(tooWide.statusCode).toBe(413);

      const parts: Buffer[] = [];
      for (let offset = 0; ; offset += MiB) {
        const part = await bufferedReadRequest(deps, urlEvent('/read/three-frames.bin', 'GET', { offset: String(offset), length: String(MiB) }));
        if (part.statusCode === 416) break;
        expect(part.statusCode).toBe(200);
        parts.push(body(part));
      }
      expect(parts.map((p) => p.length)).toEqual([MiB, MiB, MiB, 17]);
      expect(Buffer.concat(parts).equals(whole)).toBe(true);
    });

    test.each([
      [{ offset: '-1', length: '10' }],
      [{ offset: '0', length: '0' }],
      [{ offset: '5' }],
      [{ offset: '1e3', length: '10' }],
    ])('%o is a 400 InvalidRequest', async (query) => {
      const response = await bufferedReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin', 'GET', query as Record<string, string>));
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('InvalidRequest');
    });
  });

  test('function URL: a response cut mid-way never becomes a buffered 200', async () => {
    const response = await bufferedReadRequest(() => fx.deps, urlEvent('/read/tampered.bin'));
    expect(response.statusCode).toBe(502);
  });

  test('function URL: a misconfigured function answers 500 Misconfigured', async () => {
    const response = await bufferedReadRequest(() => {
      throw new EnvelopeError(ErrorCode.MISCONFIGURED, 'BUCKET_NAME must be set');
    }, urlEvent('/a'));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(Buffer.from(response.body, 'base64').toString()).error.code).toBe('Misconfigured');
  });

  test('the streaming handler writes through the runtime-provided HTTP stream', async () => {
    const sink = new CollectingSink();
    const heads: ResponseHead[] = [];
    await handleReadRequest(() => fx.deps, urlEvent('/read/three-frames.bin'), sink, (stream, head) => {
      heads.push(head);
      return stream;
    });
    expect(heads).toEqual([expect.objectContaining({ statusCode: 200 })]);
    expect(sink.writableFinished).toBe(true);
    expect(sink.bytes.length).toBe(3 * MiB + 17);
  });
});

test('metadata: the protected object records the plaintext content type, nothing else of the plaintext', async () => {
  await putBytes(fx.s3, 'intake/meta.json', Buffer.from('{"a":1}'), 'application/json');
  await handleIntakeEvent(fx.deps, objectCreatedEvent('intake/meta.json'));
  const head = await (fx.s3 as S3Client).send(new HeadObjectCommand({ Bucket: LAYOUT.bucket, Key: 'protected/meta.json' }));
  expect(head.Metadata).toEqual({ [CONTENT_TYPE_METADATA]: 'application/json' });
  expect(head.ContentType).toBe('application/octet-stream');
});
