/**
 * The EnvelopeEncryptedTable function: JSON in, JSON out. Every operation either succeeds fully or
 * returns an error response; a read that cannot verify every item returns no item at all.
 */
import {
  AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { fromAttributeMap, toAttributeMap } from './attribute-value';
import { canonicalJson } from './canonical';
import { Codec } from './codec';
import { during, EnvelopeError, ErrorCode, errorName, ErrorResponse, toErrorResponse } from './errors';
import { Item, keyOf, openItem, sealItem } from './item-envelope';
import { logOutcome } from './log';
import { ownValue } from './own';
import { ItemSchema, TableConfig } from './table-config';
import { parseRequest, SortCondition, TableRequest, WRITE_OPERATIONS } from './table-request';

/** Lambda's synchronous invoke response limit is 6 MB; keep a margin for the JSON envelope. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 64 * 1024;
/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Attempts for batch leftovers (UnprocessedItems / UnprocessedKeys), with exponential backoff. */
const BATCH_ATTEMPTS = 6;

export interface TableDeps {
  readonly config: TableConfig;
  readonly codec: Codec;
  readonly dynamodb: DynamoDBClient;
}

export type TableResponse =
  | { readonly ok: true; readonly item?: Item | null; readonly items?: (Item | null)[]; readonly lastEvaluatedKey?: Item }
  | ErrorResponse;

const DYNAMODB_ERRORS: Record<string, [ErrorCode, string]> = {
  ConditionalCheckFailedException: [ErrorCode.CONDITIONAL_CHECK_FAILED, 'The condition of the write did not hold'],
  ValidationException: [ErrorCode.INVALID_REQUEST, 'DynamoDB rejected the request (ValidationException)'],
  ResourceNotFoundException: [ErrorCode.MISCONFIGURED, 'The table does not exist'],
  ProvisionedThroughputExceededException: [ErrorCode.TABLE_THROTTLED, 'DynamoDB throttled the request'],
  ThrottlingException: [ErrorCode.TABLE_THROTTLED, 'DynamoDB throttled the request'],
  RequestLimitExceeded: [ErrorCode.TABLE_THROTTLED, 'DynamoDB throttled the request'],
  AccessDeniedException: [ErrorCode.ACCESS_DENIED, 'DynamoDB denied the request'],
};

/** Runs a DynamoDB call: its failures become EnvelopeErrors (messages never quote values). */
function dynamo<T>(operation: string, send: () => Promise<T>): Promise<T> {
  return during(`DynamoDB ${operation}`, send, (err) => {
    const mapped = ownValue(DYNAMODB_ERRORS, errorName(err)) as [ErrorCode, string] | undefined;
    return mapped && new EnvelopeError(mapped[0], mapped[1], { cause: err });
  });
}

function keyCondition(sortKey: SortCondition | undefined): string {
  const pk = '#pk = :pk';
  if (!sortKey) return pk;
  switch (sortKey.operator) {
    case 'between':
      return `${pk} AND #sk BETWEEN :sk AND :sk2`;
    case 'begins_with':
      return `${pk} AND begins_with(#sk, :sk)`;
    default:
      return `${pk} AND #sk ${sortKey.operator} :sk`;
  }
}

/** DynamoDB's item size: attribute names plus values (binary counted raw, not base64). */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return value.N.length;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + itemSize(value.M);
  if (value.SS !== undefined) return value.SS.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, v) => sum + v.length, 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, v) => sum + v.byteLength, 0);
  return 1;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withBatchRetries<T>(first: T, pending: (left: T) => boolean, retry: (left: T) => Promise<T>): Promise<T> {
  let left = first;
  for (let attempt = 1; pending(left); attempt++) {
    if (attempt >= BATCH_ATTEMPTS) throw new EnvelopeError(ErrorCode.TABLE_THROTTLED, 'DynamoDB left part of the batch unprocessed');
    await wait(25 * 2 ** attempt);
    left = await retry(left);
  }
  return left;
}

export class TableHandler {
  private readonly schema: ItemSchema;

  constructor(private readonly deps: TableDeps) {
    this.schema = deps.config.schema;
  }

  /** Handles one invoke event; never throws. */
  async handle(event: unknown): Promise<TableResponse> {
    const startedAt = performance.now();
    let operation = 'unknown';
    try {
      const request = parseRequest(event);
      operation = request.operation;
      if (this.deps.config.access === 'READ' && WRITE_OPERATIONS.has(operation)) {
        throw new EnvelopeError(ErrorCode.ACCESS_DENIED, 'This function is read-only: use the read-write function to write');
      }
      const response = await this.dispatch(request);
      if (Buffer.byteLength(JSON.stringify(response)) > MAX_RESPONSE_BYTES) {
        throw new EnvelopeError(ErrorCode.PAYLOAD_TOO_LARGE, 'The response would exceed the invoke payload limit: ask for fewer items');
      }
      logOutcome(operation, startedAt);
      return response;
    } catch (err) {
      logOutcome(operation, startedAt, err);
      return toErrorResponse(err);
    }
  }

  private async dispatch(request: TableRequest): Promise<TableResponse> {
    switch (request.operation) {
      case 'put':
        await this.put(request.item, request.ifNotExists ?? false);
        return { ok: true };
      case 'get':
        return { ok: true, item: await this.get(request.key) };
      case 'delete':
        await this.delete(request.key, request.ifExists ?? false);
        return { ok: true };
      case 'batchPut':
        await this.batchPut(request.items);
        return { ok: true };
      case 'batchGet':
        return { ok: true, items: await this.batchGet(request.keys) };
      case 'query':
        return this.query(request);
    }
  }

  /** Seals an item and marshalls it, refusing items DynamoDB would reject for size. */
  private async sealed(item: Item): Promise<Record<string, AttributeValue>> {
    const stored = toAttributeMap(await sealItem(this.deps.codec, this.schema, item));
    const size = itemSize(stored);
    if (size > MAX_ITEM_BYTES) {
      throw new EnvelopeError(ErrorCode.PAYLOAD_TOO_LARGE, `The encrypted item is about ${size} bytes; DynamoDB items are limited to 400 KB`);
    }
    return stored;
  }

  private open(stored: Record<string, AttributeValue>): Promise<Item> {
    return openItem(this.deps.codec, this.schema, fromAttributeMap(stored));
  }

  private marshalledKey(key: Item): Record<string, AttributeValue> {
    return toAttributeMap(keyOf(this.schema, key));
  }

  private keyNamesExpression(): Record<string, string> {
    return { '#pk': this.schema.partitionKey };
  }

  private async put(item: Item, ifNotExists: boolean): Promise<void> {
    const sealed = await this.sealed(item);
    await dynamo('PutItem', () =>
      this.deps.dynamodb.send(
        new PutItemCommand({
          TableName: this.schema.tableName,
          Item: sealed,
          ...(ifNotExists ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: this.keyNamesExpression() } : {}),
        }),
      ),
    );
  }

  private async get(key: Item): Promise<Item | null> {
    const out = await dynamo('GetItem', () =>
      this.deps.dynamodb.send(new GetItemCommand({ TableName: this.schema.tableName, Key: this.marshalledKey(key), ConsistentRead: true })),
    );
    return out.Item ? this.open(out.Item) : null;
  }

  private async delete(key: Item, ifExists: boolean): Promise<void> {
    await dynamo('DeleteItem', () =>
      this.deps.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.schema.tableName,
          Key: this.marshalledKey(key),
          ...(ifExists ? { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: this.keyNamesExpression() } : {}),
        }),
      ),
    );
  }

  private async batchPut(items: Item[]): Promise<void> {
    const seen = new Set<string>();
    for (const item of items) {
      const id = canonicalJson(keyOf(this.schema, item));
      if (seen.has(id)) throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'items contains the same key twice');
      seen.add(id);
    }
    // Seal everything first: a bad item fails the batch before anything is written.
    const requests = await Promise.all(items.map(async (item) => ({ PutRequest: { Item: await this.sealed(item) } })));
    const write = async (batch: typeof requests) => {
      const out = await dynamo('BatchWriteItem', () =>
        this.deps.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [this.schema.tableName]: batch } })),
      );
      return (out.UnprocessedItems?.[this.schema.tableName] ?? []) as typeof requests;
    };
    await withBatchRetries(await write(requests), (left) => left.length > 0, write);
  }

  private async batchGet(keys: Item[]): Promise<(Item | null)[]> {
    const ids = keys.map((key) => canonicalJson(keyOf(this.schema, key)));
    const unique = [...new Set(ids)].map((id) => toAttributeMap(JSON.parse(id) as Item));
    const found = new Map<string, Item>();
    const read = async (batch: Record<string, AttributeValue>[]) => {
      const out = await dynamo('BatchGetItem', () =>
        this.deps.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [this.schema.tableName]: { Keys: batch, ConsistentRead: true } } })),
      );
      const opened = await Promise.all((out.Responses?.[this.schema.tableName] ?? []).map((stored) => this.open(stored)));
      for (const item of opened) found.set(canonicalJson(keyOf(this.schema, item)), item);
      return out.UnprocessedKeys?.[this.schema.tableName]?.Keys ?? [];
    };
    await withBatchRetries(await read(unique), (left) => left.length > 0, read);
    return ids.map((id) => found.get(id) ?? null);
  }

  private async query(request: Extract<TableRequest, { operation: 'query' }>): Promise<TableResponse> {
    const names: Record<string, string> = this.keyNamesExpression();
    const values: Item = { ':pk': request.partitionKey };
    if (request.sortKey) {
      if (!this.schema.sortKey) throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'The table has no sort key');
      names['#sk'] = this.schema.sortKey;
      values[':sk'] = request.sortKey.value;
      if (request.sortKey.value2 !== undefined) values[':sk2'] = request.sortKey.value2;
    }
    const out = await dynamo('Query', () =>
      this.deps.dynamodb.send(
        new QueryCommand({
          TableName: this.schema.tableName,
          KeyConditionExpression: keyCondition(request.sortKey),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttributeMap(values),
          Limit: request.limit,
          ScanIndexForward: request.scanIndexForward,
          ExclusiveStartKey: request.exclusiveStartKey ? this.marshalledKey(request.exclusiveStartKey) : undefined,
          ConsistentRead: true,
        }),
      ),
    );
    const items = await Promise.all((out.Items ?? []).map((stored) => this.open(stored)));
    const lastEvaluatedKey = out.LastEvaluatedKey ? fromAttributeMap(out.LastEvaluatedKey) : undefined;
    return { ok: true, items, ...(lastEvaluatedKey ? { lastEvaluatedKey } : {}) };
  }
}
