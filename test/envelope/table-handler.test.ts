import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { expectError, ok, PK, SK, startTableFixture, TableFixture } from './table-fixture';
import { ErrorCode } from '../../lambda/envelope/errors';
import { TableHandler } from '../../lambda/envelope/table-handler';

let f: TableFixture;
let table: TableHandler;

beforeAll(async () => {
  f = await startTableFixture();
  table = f.handler();
});
afterAll(() => f.stop());

const SECRET = '4111-1111-1111-1111';
const item = (customer: string, order: string, extra: Record<string, unknown> = {}) => ({
  [PK]: customer,
  [SK]: order,
  card: SECRET,
  address: { street: 'Main St 1', city: 'Springfield' },
  status: 'PAID',
  amount: 42.5,
  gsi: 'g1',
  notes: ['undeclared attributes take the default action'],
  ...extra,
});

async function rawItem(tableName: string, customer: string, order: string) {
  const out = await f.raw.send(new GetItemCommand({ TableName: tableName, Key: marshall({ [PK]: customer, [SK]: order }) }));
  return out.Item!;
}

async function rawUpdate(customer: string, order: string, expression: string, values?: Record<string, unknown>, names?: Record<string, string>) {
  await f.raw.send(
    new UpdateItemCommand({
      TableName: 'orders',
      Key: marshall({ [PK]: customer, [SK]: order }),
      UpdateExpression: expression,
      ExpressionAttributeValues: values ? marshall(values) : undefined,
      ExpressionAttributeNames: names,
    }),
  );
}

describe('round trips', () => {
  test('put then get returns the item; the table holds no ENCRYPT_AND_SIGN plaintext', async () => {
    ok(await table.handle({ operation: 'put', item: item('c1', 'o1') }));
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'c1', [SK]: 'o1' } })).item).toEqual(item('c1', 'o1'));

    const stored = await rawItem('orders', 'c1', 'o1');
    expect(Object.keys(stored).sort()).toEqual(['amount', 'aws_envelope', 'customer', 'gsi', 'order', 'status']);
    expect(stored.status).toEqual({ S: 'PAID' }); // SIGN_ONLY stays readable
    expect(stored.gsi).toEqual({ S: 'g1' });
    expect(stored.aws_envelope.B).toBeInstanceOf(Uint8Array);
    const rawText = Buffer.from(stored.aws_envelope.B!).toString('latin1') + JSON.stringify(unmarshall(stored));
    for (const secret of [SECRET, 'Springfield', 'undeclared']) expect(rawText).not.toContain(secret);
  });

  test('an item with only keys and a SIGN_ONLY attribute round-trips', async () => {
    const small = { [PK]: 'c1', [SK]: 'o2', status: 'NEW' };
    ok(await table.handle({ operation: 'put', item: small }));
    expect(ok(await table.handle({ operation: 'get', key: small })).item).toEqual(small);
  });

  test('get of a missing item is null; delete removes', async () => {
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'nobody', [SK]: 'x' } })).item).toBeNull();
    ok(await table.handle({ operation: 'put', item: item('c2', 'o1') }));
    ok(await table.handle({ operation: 'delete', key: { [PK]: 'c2', [SK]: 'o1' } }));
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'c2', [SK]: 'o1' } })).item).toBeNull();
  });

  test('batch put and batch get (order kept, missing keys null)', async () => {
    const items = Array.from({ length: 25 }, (_, i) => item('batch', `o${String(i).padStart(2, '0')}`, { n: i }));
    ok(await table.handle({ operation: 'batchPut', items }));
    const keys = [...items.map((i) => ({ [PK]: i[PK], [SK]: i[SK] })).reverse(), { [PK]: 'batch', [SK]: 'missing' }];
    const got = ok(await table.handle({ operation: 'batchGet', keys })).items!;
    expect(got).toHaveLength(26);
    expect(got[0]).toEqual(items[24]);
    expect(got[24]).toEqual(items[0]);
    expect(got[25]).toBeNull();
  });

  test('query by key condition decrypts every item, with paging', async () => {
    const items = Array.from({ length: 6 }, (_, i) => item('q', `2024-0${i + 1}`));
    ok(await table.handle({ operation: 'batchPut', items }));
    const all = ok(await table.handle({ operation: 'query', partitionKey: 'q' })).items!;
    expect(all).toEqual(items);
    const between = ok(await table.handle({ operation: 'query', partitionKey: 'q', sortKey: { operator: 'between', value: '2024-02', value2: '2024-04' } }));
    expect(between.items!.map((i) => i![SK])).toEqual(['2024-02', '2024-03', '2024-04']);
    const prefix = ok(await table.handle({ operation: 'query', partitionKey: 'q', sortKey: { operator: 'begins_with', value: '2024-0' }, scanIndexForward: false }));
    expect(prefix.items![0]![SK]).toBe('2024-06');
    const page1 = ok(await table.handle({ operation: 'query', partitionKey: 'q', limit: 4 }));
    expect(page1.items).toHaveLength(4);
    const page2 = ok(await table.handle({ operation: 'query', partitionKey: 'q', exclusiveStartKey: page1.lastEvaluatedKey }));
    expect(page2.items).toEqual(items.slice(4));
  });
});

describe('conditional writes', () => {
  test('put ifNotExists on an existing item fails and leaves it unchanged', async () => {
    ok(await table.handle({ operation: 'put', item: item('cond', 'o1') }));
    expectError(await table.handle({ operation: 'put', item: item('cond', 'o1', { card: 'other' }), ifNotExists: true }), ErrorCode.CONDITIONAL_CHECK_FAILED);
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'cond', [SK]: 'o1' } })).item!.card).toBe(SECRET);
  });

  test('delete ifExists of a missing item fails', async () => {
    expectError(await table.handle({ operation: 'delete', key: { [PK]: 'cond', [SK]: 'none' }, ifExists: true }), ErrorCode.CONDITIONAL_CHECK_FAILED);
  });
});

describe('tampering is detected and returns no plaintext', () => {
  beforeEach(async () => {
    ok(await table.handle({ operation: 'batchPut', items: [item('t', 'a'), item('t', 'b', { card: 'other card' })] }));
  });
  const getT = (order: string) => table.handle({ operation: 'get', key: { [PK]: 't', [SK]: order } });

  test('a changed SIGN_ONLY value', async () => {
    await rawUpdate('t', 'a', 'SET #s = :v', { ':v': 'REFUNDED' }, { '#s': 'status' });
    const response = await getT('a');
    expectError(response, ErrorCode.INTEGRITY_CHECK_FAILED);
    expect(JSON.stringify(response)).not.toContain(SECRET);
  });

  test('a removed SIGN_ONLY value', async () => {
    await rawUpdate('t', 'a', 'REMOVE amount');
    expectError(await getT('a'), ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('an added protected attribute in plaintext', async () => {
    await rawUpdate('t', 'a', 'SET card = :v', { ':v': 'forged' });
    expectError(await getT('a'), ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('a changed DO_NOTHING value is accepted', async () => {
    await rawUpdate('t', 'a', 'SET gsi = :v', { ':v': 'g2' });
    expect(ok(await getT('a')).item).toEqual(item('t', 'a', { gsi: 'g2' }));
  });

  test('a flipped byte in the envelope', async () => {
    const stored = await rawItem('orders', 't', 'a');
    const envelope = Buffer.from(stored.aws_envelope.B!);
    envelope[envelope.length - 3] ^= 0x40;
    await rawUpdate('t', 'a', 'SET aws_envelope = :v', { ':v': envelope });
    expectError(await getT('a'), ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('an envelope moved to another item', async () => {
    const stored = await rawItem('orders', 't', 'b');
    await rawUpdate('t', 'a', 'SET aws_envelope = :v', { ':v': stored.aws_envelope.B });
    const response = await getT('a');
    expectError(response, ErrorCode.CONTEXT_MISMATCH);
    expect(JSON.stringify(response)).not.toContain('other card');
  });

  test('a whole item copied to another table (same key)', async () => {
    const stored = await rawItem('orders', 't', 'a');
    await f.raw.send(new PutItemCommand({ TableName: 'invoices', Item: stored }));
    expectError(await f.handler({ tableName: 'invoices' }).handle({ operation: 'get', key: { [PK]: 't', [SK]: 'a' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('an item written without the crypto function', async () => {
    await f.raw.send(new PutItemCommand({ TableName: 'orders', Item: marshall({ [PK]: 't', [SK]: 'c', card: 'plain' }) }));
    expectError(await getT('c'), ErrorCode.INTEGRITY_CHECK_FAILED);
  });

  test('one bad item fails the whole query and batch get', async () => {
    await rawUpdate('t', 'b', 'SET #s = :v', { ':v': 'X' }, { '#s': 'status' });
    const query = await table.handle({ operation: 'query', partitionKey: 't' });
    expectError(query, ErrorCode.INTEGRITY_CHECK_FAILED);
    expect(JSON.stringify(query)).not.toContain(SECRET);
    expectError(await table.handle({ operation: 'batchGet', keys: [{ [PK]: 't', [SK]: 'a' }, { [PK]: 't', [SK]: 'b' }] }), ErrorCode.INTEGRITY_CHECK_FAILED);
  });
});

describe('bad requests', () => {
  test.each([
    [undefined, /request must be a JSON object/],
    [{ operation: 'scan' }, /operation must be one of/],
    [{ operation: 'put' }, /item must be a JSON object/],
    [{ operation: 'put', item: { [PK]: 'x' } }, /Key attribute "order" must be/],
    [{ operation: 'put', item: { [PK]: 'x', [SK]: 'y', aws_envelope: 'z' } }, /aws_envelope is a reserved/],
    [{ operation: 'put', item: { [PK]: 'x', [SK]: 'y' }, ifNotExists: 'yes' }, /ifNotExists must be a boolean/],
    [{ operation: 'get', key: { [PK]: '', [SK]: 'y' } }, /Key attribute "customer" must be/],
    [{ operation: 'batchPut', items: [] }, /items must be a list of 1 to 25/],
    [{ operation: 'batchPut', items: Array(26).fill({}) }, /items must be a list of 1 to 25/],
    [{ operation: 'batchPut', items: [{ [PK]: 'a', [SK]: 'b' }, { [SK]: 'b', [PK]: 'a' }] }, /same key twice/],
    [{ operation: 'batchGet', keys: Array(101).fill({}) }, /keys must be a list of 1 to 100/],
    [{ operation: 'query', partitionKey: 'a', sortKey: { operator: 'like', value: 'x' } }, /sortKey must be/],
    [{ operation: 'query', partitionKey: 'a', sortKey: { operator: 'between', value: 'x' } }, /sortKey.value2 must be/],
    [{ operation: 'query', partitionKey: 'a', limit: 0 }, /limit must be an integer/],
  ])('%j', async (request, message) => {
    const response = await table.handle(request);
    expectError(response, ErrorCode.INVALID_REQUEST);
    expect(!response.ok && response.error.message).toMatch(message);
  });

  test('an item over 400 KB is refused before any write', async () => {
    const response = await table.handle({ operation: 'put', item: item('big', 'o', { blob: 'x'.repeat(420 * 1024) }) });
    expectError(response, ErrorCode.PAYLOAD_TOO_LARGE);
    expect(await f.raw.send(new GetItemCommand({ TableName: 'orders', Key: marshall({ [PK]: 'big', [SK]: 'o' }) }))).not.toHaveProperty('Item');
  });

  test('a batch with one bad item writes nothing', async () => {
    const response = await table.handle({ operation: 'batchPut', items: [item('half', 'a'), { [PK]: 'half' }] });
    expectError(response, ErrorCode.INVALID_REQUEST);
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'half', [SK]: 'a' } })).item).toBeNull();
  });

  test('a response over the invoke payload limit is refused', async () => {
    const big = 'y'.repeat(350 * 1024);
    const items = Array.from({ length: 18 }, (_, i) => item('huge', `o${String(i).padStart(2, '0')}`, { blob: big }));
    for (let i = 0; i < items.length; i += 6) ok(await table.handle({ operation: 'batchPut', items: items.slice(i, i + 6) }));
    const keys = items.map((i) => ({ [PK]: i[PK], [SK]: i[SK] }));
    expectError(await table.handle({ operation: 'batchGet', keys }), ErrorCode.PAYLOAD_TOO_LARGE);
    expect(ok(await table.handle({ operation: 'batchGet', keys: keys.slice(0, 10) })).items).toHaveLength(10);
  });

  test('a read-only function refuses writes', async () => {
    const reader = f.handler({ access: 'READ' });
    expectError(await reader.handle({ operation: 'put', item: item('ro', 'a') }), ErrorCode.ACCESS_DENIED);
    expectError(await reader.handle({ operation: 'batchPut', items: [item('ro', 'a')] }), ErrorCode.ACCESS_DENIED);
    expectError(await reader.handle({ operation: 'delete', key: { [PK]: 'ro', [SK]: 'a' } }), ErrorCode.ACCESS_DENIED);
    ok(await reader.handle({ operation: 'get', key: { [PK]: 'ro', [SK]: 'a' } }));
  });
});
