/**
 * Hostile input against the bucket functions, by class, on s3rver and the local KMS. The property:
 * a request either does exactly what it says (a put object reads back byte for byte under the same
 * name) or answers a non-retryable InvalidRequest. Never Internal, never a changed name.
 */
import * as fc from 'fast-check';
import { BucketFixture, pattern, startBucketFixture } from './bucket-fixture';
import { handleInlineRequest, InlineResponse } from '../../lambda/envelope/bucket-inline';
import { ErrorCode } from '../../lambda/envelope/errors';
import { bufferedReadRequest } from '../../lambda/envelope/object-read';

let fx: BucketFixture;
beforeAll(async () => {
  fx = await startBucketFixture();
});
afterAll(async () => fx.stop());

/** The request as the Lambda runtime hands it over: parsed from JSON text. */
const viaJson = (request: unknown) => JSON.parse(JSON.stringify(request));
const put = (key: unknown, data: Buffer, contentType?: unknown) =>
  handleInlineRequest(fx.deps, viaJson({ operation: 'put', key, data: data.toString('base64'), contentType }));
const get = (key: unknown) => handleInlineRequest(fx.deps, viaJson({ operation: 'get', key }));

function expectInvalid(response: InlineResponse, message?: RegExp): void {
  expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST, retryable: false } });
  if (message) expect(!response.ok && response.error.message).toMatch(message);
}

/** Put, then get: the same bytes and content type back, or InvalidRequest for the put. */
async function expectRoundTripOrRefused(key: string, data: Buffer, contentType?: string): Promise<'stored' | 'refused'> {
  const stored = await put(key, data, contentType);
  if (!stored.ok) {
    expectInvalid(stored);
    return 'refused';
  }
  const read = await get(key);
  expect(read).toMatchObject({ ok: true, key, contentType: contentType ?? 'application/octet-stream' });
  expect(Buffer.from((read as { data: string }).data, 'base64').equals(data)).toBe(true);
  return 'stored';
}

describe('object names', () => {
  test.each([
    ['NUL', 'a\u0000b', /control characters/],
    ['a line break', 'reports/q1\n.pdf', /control characters/],
    ['a carriage return', 'x\r', /control characters/],
    ['DEL', 'x\u007f', /control characters/],
    ['a lone high surrogate', 'x\ud800', /well-formed Unicode/],
    ['a lone low surrogate', '\udc00x', /well-formed Unicode/],
    ['1024 bytes of ASCII (the prefix makes it too long)', 'a'.repeat(1024), /at most \d+ bytes of UTF-8/],
    ['1,000 characters of 3-byte UTF-8', '\u20ac'.repeat(1000), /at most \d+ bytes of UTF-8/],
    ['an absolute name', '/etc/passwd', /relative/],
    ['a .. segment', 'a/../../b', /relative/],
    ['a . segment', 'a/./b', /relative/],
    ['an empty segment', 'a//b', /relative/],
    ['a trailing slash', 'a/', /relative/],
    ['only slashes and a space', ' //', /relative/],
    ['the empty string', '', /non-empty string/],
    ['a number', 42, /non-empty string/],
    ['an object', { toString: 'x' }, /non-empty string/],
  ])('%s is InvalidRequest for put and get', async (_what, key, message) => {
    expectInvalid(await put(key, Buffer.from('x')), message);
    expectInvalid(await get(key), message);
  });

  test('names right at the limit are kept exactly', async () => {
    const longest = 'n'.repeat(1024 - 'protected/'.length);
    // s3rver keeps each object in a file: split into path segments a file system accepts.
    const segmented = longest.replace(/(.{200})/g, '$1/').replace(/\/$/, 'x').slice(0, longest.length);
    expect(await expectRoundTripOrRefused(segmented, Buffer.from('edge'))).toBe('stored');
    expectInvalid(await put(`${segmented}x`, Buffer.from('edge')), /bytes of UTF-8/);
  });

  test('any string as a name: a faithful round trip or InvalidRequest', async () => {
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.string({ unit: 'grapheme', maxLength: 24 }),
      fc.string({ unit: fc.constantFrom('a', '/', '.', '\u0000', '\n', '\ud800', '\udc00', '\u20ac', '%', '+', ' ', '\\'), maxLength: 16 }),
    );
    await fc.assert(fc.asyncProperty(name, async (key) => {
      await expectRoundTripOrRefused(key, pattern(64, key.length));
    }), { numRuns: 150 });
  });

  test.each([
    ['%00', 'a%00b'],
    ['an encoded line break', 'a%0Ab'],
    ['an encoded lone surrogate', 'a%ED%A0%80'],
    ['bad URL encoding', 'a%zz'],
  ])('a read URL with %s is a 400', async (_what, path) => {
    const response = await bufferedReadRequest(() => fx.deps, {
      rawPath: `/${path}`, requestContext: { http: { method: 'GET' } },
    } as never);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(Buffer.from(response.body, 'base64').toString())).toMatchObject({ error: { code: ErrorCode.INVALID_REQUEST, retryable: false } });
  });
});

describe('content types and request members', () => {
  test.each([
    ['a line break (header injection)', 'text/plain\r\nx-amz-meta-evil: 1'],
    ['non-ASCII', 'text/plain; charset=\u00e9'],
    ['NUL', 'text/\u0000plain'],
    ['the empty string', ''],
    ['256 characters', `text/${'x'.repeat(251)}`],
    ['a number', 7],
    ['null', null],
  ])('contentType with %s is InvalidRequest', async (_what, contentType) => {
    expectInvalid(await put('ct/x', Buffer.from('x'), contentType), /contentType must be/);
  });

  test('any string as a content type: kept exactly or InvalidRequest', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (contentType) => {
      await expectRoundTripOrRefused('ct/any', Buffer.from('body'), contentType);
    }), { numRuns: 100 });
  });

  test('a __proto__ member in the request body changes nothing', async () => {
    const request = JSON.parse(`{"operation":"put","key":"proto/a","data":"${Buffer.from('p').toString('base64')}","__proto__":{"contentType":"text/evil"}}`);
    expect(await handleInlineRequest(fx.deps, request)).toMatchObject({ ok: true });
    expect(await get('proto/a')).toMatchObject({ ok: true, contentType: 'application/octet-stream' });
    const operation = JSON.parse('{"__proto__":{"operation":"put"},"key":"proto/b"}');
    expectInvalid(await handleInlineRequest(fx.deps, operation), /operation must be/);
  });
});
