/**
 * The table function's request shapes (JSON in) and their validation. Anything malformed is an
 * INVALID_REQUEST naming the field; values themselves are never echoed back.
 */
import { EnvelopeError, ErrorCode } from './errors';
import { Item } from './item-envelope';

export const MAX_BATCH_PUT = 25;
export const MAX_BATCH_GET = 100;
export const MAX_QUERY_LIMIT = 1000;

/** Sort-key condition of a query: one comparison, `between` (value..value2) or `begins_with`. */
export interface SortCondition {
  readonly operator: '=' | '<' | '<=' | '>' | '>=' | 'between' | 'begins_with';
  readonly value: string | number;
  readonly value2?: string | number;
}

export type TableRequest =
  | { readonly operation: 'put'; readonly item: Item; readonly ifNotExists?: boolean }
  | { readonly operation: 'get'; readonly key: Item }
  | { readonly operation: 'delete'; readonly key: Item; readonly ifExists?: boolean }
  | { readonly operation: 'batchPut'; readonly items: Item[] }
  | { readonly operation: 'batchGet'; readonly keys: Item[] }
  | {
    readonly operation: 'query';
    readonly partitionKey: string | number;
    readonly sortKey?: SortCondition;
    readonly limit?: number;
    readonly scanIndexForward?: boolean;
    readonly exclusiveStartKey?: Item;
  };

export const WRITE_OPERATIONS: ReadonlySet<string> = new Set(['put', 'delete', 'batchPut']);
const OPERATIONS = ['put', 'get', 'delete', 'batchPut', 'batchGet', 'query'];
const SORT_OPERATORS = ['=', '<', '<=', '>', '>=', 'between', 'begins_with'];

function invalid(message: string): EnvelopeError {
  return new EnvelopeError(ErrorCode.INVALID_REQUEST, message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function objectField(request: Record<string, unknown>, name: string): Item {
  const value = request[name];
  if (!isObject(value)) throw invalid(`${name} must be a JSON object`);
  return value;
}

function listField(request: Record<string, unknown>, name: string, max: number): Item[] {
  const value = request[name];
  if (!Array.isArray(value) || value.length === 0 || value.length > max) throw invalid(`${name} must be a list of 1 to ${max} objects`);
  if (!value.every(isObject)) throw invalid(`${name} must contain only JSON objects`);
  return value;
}

function optionalBoolean(request: Record<string, unknown>, name: string): boolean | undefined {
  const value = request[name];
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${name} must be a boolean`);
  return value;
}

function keyValue(value: unknown, name: string): string | number {
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw invalid(`${name} must be a non-empty string or a number`);
}

function sortCondition(value: unknown): SortCondition | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !SORT_OPERATORS.includes(value.operator as string)) {
    throw invalid(`sortKey must be { operator: ${SORT_OPERATORS.join(' | ')}, value, value2? }`);
  }
  const operator = value.operator as SortCondition['operator'];
  const condition = { operator, value: keyValue(value.value, 'sortKey.value') };
  if (operator === 'between') return { ...condition, value2: keyValue(value.value2, 'sortKey.value2') };
  if (value.value2 !== undefined) throw invalid('sortKey.value2 is only for between');
  return condition;
}

export function parseRequest(event: unknown): TableRequest {
  if (!isObject(event)) throw invalid('The request must be a JSON object');
  const operation = event.operation;
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation)) throw invalid(`operation must be one of ${OPERATIONS.join(', ')}`);
  switch (operation) {
    case 'put':
      return { operation, item: objectField(event, 'item'), ifNotExists: optionalBoolean(event, 'ifNotExists') };
    case 'get':
      return { operation, key: objectField(event, 'key') };
    case 'delete':
      return { operation, key: objectField(event, 'key'), ifExists: optionalBoolean(event, 'ifExists') };
    case 'batchPut':
      return { operation, items: listField(event, 'items', MAX_BATCH_PUT) };
    case 'batchGet':
      return { operation, keys: listField(event, 'keys', MAX_BATCH_GET) };
    default: {
      const limit = event.limit;
      if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_QUERY_LIMIT)) {
        throw invalid(`limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
      }
      return {
        operation: 'query',
        partitionKey: keyValue(event.partitionKey, 'partitionKey'),
        sortKey: sortCondition(event.sortKey),
        limit: limit as number | undefined,
        scanIndexForward: optionalBoolean(event, 'scanIndexForward'),
        exclusiveStartKey: event.exclusiveStartKey === undefined ? undefined : objectField(event, 'exclusiveStartKey'),
      };
    }
  }
}
