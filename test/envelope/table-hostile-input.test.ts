/**
 * Hostile input against the table function, by class (issue: hardening, classes 1 and 2), on
 * dynalite and the local KMS with the real SDK clients. Items are built with JSON.parse, as the
 * Lambda runtime builds events, so `__proto__` arrives as an ordinary member.
 *
 * The property every test checks: a put either stores the item so that get returns exactly what was
 * put (and no ENCRYPT_AND_SIGN attribute is readable in the table), or answers a non-retryable
 * InvalidRequest and writes nothing. Never Internal, never a silent change.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as fc from 'fast-check';
import { PK, SK, startTableFixture, TableFixture } from './table-fixture';
import { canonicalJson } from '../../lambda/envelope/canonical';
import { createCodec } from '../../lambda/envelope/codec';
import { readCodecConfig } from '../../lambda/envelope/config';
import { ErrorCode } from '../../lambda/envelope/errors';
import { MAX_DEPTH } from '../../lambda/envelope/item-validation';
import { logger } from '../../lambda/envelope/log';
import { readTableConfig } from '../../lambda/envelope/table-config';
import { TableHandler, TableResponse } from '../../lambda/envelope/table-handler';
import { AttributeAction } from '../../src/envelope/attribute-action';
import { captureOutput } from '../support/capture-output';

let f: TableFixture;
beforeAll(async () => {
  f = await startTableFixture(['hostile']);
});
afterAll(() => f.stop());

/** Every member name a plain object, an array or a function inherits, `__proto__` among them. */
const INHERITED_NAMES = [...new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Array.prototype),
  ...Object.getOwnPropertyNames(Function.prototype),
])].filter((name) => name !== 'caller' && name !== 'arguments');

const ACTIONS = [AttributeAction.ENCRYPT_AND_SIGN, AttributeAction.SIGN_ONLY, AttributeAction.DO_NOTHING];

/** A handler whose configuration gives `name` the `action` (through the environment, as deployed). */
function handlerFor(name: string, action: AttributeAction): TableHandler {
  const config = readTableConfig({
    ENVELOPE_KEY_ARN: f.keyArn,
    ENVELOPE_TABLE_NAME: 'hostile',
    ENVELOPE_PARTITION_KEY: PK,
    ENVELOPE_SORT_KEY: SK,
    // JSON text, so `__proto__` is a member here too.
    ENVELOPE_ATTRIBUTE_ACTIONS: `{${JSON.stringify(name)}:${JSON.stringify(action)}}`,
  });
  const codec = createCodec({ keyArn: f.keyArn, kms: f.kms.client({ maxAttempts: 2 }) });
  return new TableHandler({ config, codec, dynamodb: f.raw });
}

/** The item as the Lambda runtime would hand it over: parsed from JSON text. */
function itemFromJson(order: string, name: string, valueJson: string): Record<string, unknown> {
  return JSON.parse(`{${JSON.stringify(PK)}:"c",${JSON.stringify(SK)}:${JSON.stringify(order)},${JSON.stringify(name)}:${valueJson}}`);
}

/** What a caller receives: the response after Lambda's JSON serialization. */
async function call(handler: TableHandler, request: unknown): Promise<TableResponse> {
  return JSON.parse(JSON.stringify(await handler.handle(request)));
}

async function rawItem(order: string) {
  return (await f.raw.send(new GetItemCommand({ TableName: 'hostile', Key: marshall({ [PK]: 'c', [SK]: order }), ConsistentRead: true }))).Item;
}

let orders = 0;
const nextOrder = () => `o${orders++}`;

/** The invariant: a faithful round trip with the secret out of the table, or InvalidRequest and nothing written. */
async function expectFaithfulOrRefused(handler: TableHandler, order: string, item: Record<string, unknown>, name: string, action: AttributeAction) {
  const put = await call(handler, { operation: 'put', item });
  if (!put.ok) {
    expect(put.error).toMatchObject({ code: ErrorCode.INVALID_REQUEST, retryable: false });
    expect(await rawItem(order)).toBeUndefined();
    return 'refused';
  }
  const got = await call(handler, { operation: 'get', key: { [PK]: 'c', [SK]: order } });
  if (!got.ok) throw new Error(`get failed after a successful put: ${JSON.stringify(got.error)}`);
  expect(canonicalJson(got.item)).toBe(canonicalJson(JSON.parse(JSON.stringify(item))));
  const stored = await rawItem(order);
  expect(stored).toBeDefined();
  const storedNames = Object.keys(stored!);
  if (action === AttributeAction.ENCRYPT_AND_SIGN && name !== PK && name !== SK) expect(storedNames).not.toContain(name);
  return 'stored';
}

describe('class 1: names that are members of every JavaScript object', () => {
  const cases = INHERITED_NAMES.flatMap((name) => ACTIONS.map((action) => [name, action] as const));

  test.each(cases)('attribute %j under %s', async (name, action) => {
    const handler = handlerFor(name, action);
    const order = nextOrder();
    const item = itemFromJson(order, name, '{"secret":"s3cr3t","n":1}');
    const outcome = await expectFaithfulOrRefused(handler, order, item, name, action);
    // Only a plaintext `__proto__` member is beyond what the AWS SDK can store; everything else is kept.
    const refusable = name === '__proto__' && action !== AttributeAction.ENCRYPT_AND_SIGN;
    expect(outcome).toBe(refusable ? 'refused' : 'stored');
  });

  test('nested members with inherited names, under every action, any JSON value', async () => {
    const name = fc.oneof(fc.constantFrom(...INHERITED_NAMES), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom(...ACTIONS), fc.jsonValue({ maxDepth: 4 }), name, async (attribute, action, value, member) => {
        fc.pre(attribute !== '' && attribute !== PK && attribute !== SK && attribute !== 'aws_envelope');
        const handler = handlerFor(attribute, action);
        const order = nextOrder();
        const valueJson = `{${JSON.stringify(member)}:${JSON.stringify(value)}}`;
        await expectFaithfulOrRefused(handler, order, itemFromJson(order, attribute, valueJson), attribute, action);
      }),
      { numRuns: 150 },
    );
  });

  test('the configuration keeps an action for every name, `__proto__` included', () => {
    for (const name of INHERITED_NAMES) {
      const config = readTableConfig({
        ENVELOPE_KEY_ARN: f.keyArn,
        ENVELOPE_TABLE_NAME: 't',
        ENVELOPE_PARTITION_KEY: 'pk',
        ENVELOPE_ATTRIBUTE_ACTIONS: `{${JSON.stringify(name)}:"DO_NOTHING"}`,
      });
      expect([...config.schema.actions]).toEqual([[name, AttributeAction.DO_NOTHING]]);
    }
  });

  test.each(['toString', 'constructor', '__proto__', 'valueOf'])('a configured algorithm suite named %s is refused', (suite) => {
    expect(() => readCodecConfig({ ENVELOPE_KEY_ARN: f.keyArn, ENVELOPE_ALGORITHM_SUITE: suite })).toThrow(/ENVELOPE_ALGORITHM_SUITE must be one of/);
  });
});

/** A JSON text nesting `depth` lists or maps (built as text, like a hostile client would send). */
function nestedJson(depth: number, open: string, close: string, leaf = '1'): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

describe('class 2: input a client controls is InvalidRequest, never Internal', () => {
  const handler = () => handlerFor('plain', AttributeAction.DO_NOTHING);
  const cases: Array<[string, string, string, RegExp]> = [
    ['an infinite number (1e400)', 'secret', '1e400', /number JSON cannot carry/],
    ['a negative infinite number', 'plain', '-1e400', /number JSON cannot carry/],
    ['an integer JSON has already rounded', 'secret', '12345678901234567890', /beyond ±2\^53/],
    ['an unsafe integer in a plaintext list', 'plain', '[1, 9007199254740993]', /beyond ±2\^53/],
    ['a lone high surrogate', 'secret', '"a\\ud800b"', /well-formed Unicode/],
    ['a lone low surrogate in a plaintext map', 'plain', '{"k":"\\udc00"}', /well-formed Unicode/],
    ['a lone surrogate in a member name', 'secret', '{"\\ud800":1}', /member name that is not well-formed/],
    ['maps nested one level too deep', 'secret', nestedJson(MAX_DEPTH + 1, '{"a":', '}'), /deeper than 32/],
    ['lists nested thousands deep', 'plain', nestedJson(5000, '[', ']'), /deeper than 32/],
    ['maps nested thousands deep', 'secret', nestedJson(5000, '{"a":', '}'), /deeper than 32/],
    ['a plaintext number below DynamoDB\'s range', 'plain', '1e-200', /below DynamoDB's smallest magnitude/],
    ['a plaintext number beyond DynamoDB\'s range (and ±2^53)', 'plain', '1.5e200', /beyond ±2\^53/],
    ['a plaintext map with a constructor that claims to be bytes', 'plain', '{"constructor":{"name":"Uint8Array"},"__proto__":1}', /__proto__/],
    ['a plaintext __proto__ member', 'plain', '{"__proto__":{"x":1}}', /__proto__/],
  ];

  test.each(cases)('%s', async (_what, name, valueJson, message) => {
    const order = nextOrder();
    const response = await call(handler(), { operation: 'put', item: itemFromJson(order, name, valueJson) });
    expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST, retryable: false } });
    expect(!response.ok && response.error.message).toMatch(message);
    expect(await rawItem(order)).toBeUndefined();
  });

  test('an encrypted number below DynamoDB\'s range is carried faithfully in the envelope', async () => {
    const order = nextOrder();
    expect(await expectFaithfulOrRefused(handler(), order, itemFromJson(order, 'secret', '1e-200'), 'secret', AttributeAction.ENCRYPT_AND_SIGN)).toBe('stored');
  });

  test.each(['"Uint8Array"', '"Set"', '"Map"', '"String"', '"Boolean"', '"Number"'])('a plaintext map whose constructor member names %s is stored as the map it is', async (claimed) => {
    const order = nextOrder();
    const item = itemFromJson(order, 'plain', `{"constructor":{"name":${claimed}},"length":0,"valueOf":1}`);
    expect(await expectFaithfulOrRefused(handler(), order, item, 'plain', AttributeAction.DO_NOTHING)).toBe('stored');
  });

  test.each([
    ['an empty attribute name', { [PK]: 'c', [SK]: 'e1', '': 1 }, /must not be empty/],
    ['a function value', { [PK]: 'c', [SK]: 'e2', secret: () => 1 }, /only JSON values/],
    ['a bigint value', { [PK]: 'c', [SK]: 'e3', secret: BigInt(1) }, /only JSON values/],
    ['a Date value', { [PK]: 'c', [SK]: 'e4', plain: new Date(0) }, /only JSON values/],
    ['undefined inside a list', { [PK]: 'c', [SK]: 'e5', secret: [1, undefined] }, /only JSON values/],
    ['a Map value', { [PK]: 'c', [SK]: 'e6', secret: new Map() }, /only JSON values/],
    ['an unsafe integer key', { [PK]: 2 ** 60, [SK]: 'e7' }, /Key attribute "customer"/],
    ['a NaN key', { [PK]: Number.NaN, [SK]: 'e8' }, /Key attribute "customer"/],
    ['a key with a lone surrogate', { [PK]: '\ud800', [SK]: 'e9' }, /Key attribute "customer"/],
    ['a key held only by the prototype', Object.assign(Object.create({ [PK]: 'c' }), { [SK]: 'e10' }), /Key attribute "customer"/],
  ])('%s (a direct invoke from code)', async (_what, item, message) => {
    const response = await handler().handle({ operation: 'put', item });
    expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST, retryable: false } });
    expect(!response.ok && response.error.message).toMatch(message);
  });

  const EVERY_KIND_OF_VALUE = {
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withBoxedValues: true,
  };

  test('any value, of any type, is stored faithfully or refused as InvalidRequest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ACTIONS), fc.anything(EVERY_KIND_OF_VALUE),
        async (action, value) => {
          const order = nextOrder();
          const item = { [PK]: 'c', [SK]: order, attr: value };
          const response = await handlerFor('attr', action).handle({ operation: 'put', item });
          if (!response.ok) {
            expect(response.error).toMatchObject({ code: ErrorCode.INVALID_REQUEST, retryable: false });
            expect(await rawItem(order)).toBeUndefined();
          }
        }),
      { numRuns: 150 },
    );
  });
});

describe('Internal is left for real faults, and its log line says what failed', () => {
  test('an unreachable DynamoDB: Internal, retryable, naming the call; the log names it too, never the data', async () => {
    // A closed port on loopback: a real connection failure, no mock.
    const unreachable = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const config = readTableConfig({ ENVELOPE_KEY_ARN: f.keyArn, ENVELOPE_TABLE_NAME: 'hostile', ENVELOPE_PARTITION_KEY: PK, ENVELOPE_SORT_KEY: SK });
    const handler = new TableHandler({ config, codec: createCodec({ keyArn: f.keyArn, kms: f.kms.client() }), dynamodb: unreachable });
    let response: TableResponse | undefined;
    logger.setLogLevel('INFO');
    const text = await captureOutput(async () => {
      response = await handler.handle({ operation: 'put', item: { [PK]: 'c', [SK]: 'down', secret: 'VERY-SECRET-VALUE' } });
    });
    logger.setLogLevel('SILENT');
    expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.INTERNAL, retryable: true, message: expect.stringMatching(/^DynamoDB PutItem failed \(/) } });
    expect(text).toMatch(/"reason":"DynamoDB PutItem failed \(/);
    expect(text).not.toContain('VERY-SECRET-VALUE');
  });
});
