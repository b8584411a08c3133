/**
 * JSON values to DynamoDB AttributeValues and back, for the table function.
 *
 * Not @aws-sdk/util-dynamodb's marshall/unmarshall: they choose a value's type by
 * `value.constructor.name`, so a client's map with a member named `constructor` (say
 * `{"constructor":{"name":"Uint8Array"}}`) is stored as something else or fails, and they build maps
 * by assignment, which drops `__proto__`. Here the type comes from the value itself and maps are
 * built with own members only. Values reach this module already checked (item-validation.ts):
 * null, booleans, well-formed strings, finite numbers, lists, plain maps, and the envelope's bytes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EnvelopeError, ErrorCode } from './errors';
import { setOwn } from './own';

export type AttributeMap = Record<string, AttributeValue>;

export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'boolean':
      return { BOOL: value };
    case 'string':
      return { S: value };
    case 'number':
      return { N: String(value) };
    default:
  }
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (typeof value === 'object') return { M: toAttributeMap(value as Record<string, unknown>) };
  throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `A ${typeof value} value cannot be stored`);
}

/** An item (or key) as a DynamoDB attribute map; undefined members are left out. */
export function toAttributeMap(item: Record<string, unknown>): AttributeMap {
  const map: AttributeMap = {};
  for (const name of Object.keys(item)) {
    const value = item[name];
    if (value !== undefined) setOwn(map, name, toAttributeValue(value));
  }
  return map;
}

/**
 * The JSON value of a stored attribute. String, number and binary sets (written by other clients)
 * become lists, so they survive the JSON response; binary stays a Uint8Array (the envelope).
 */
export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.B !== undefined) return value.B;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromAttributeMap(value.M);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.BS !== undefined) return [...value.BS];
  throw new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, 'The item holds an attribute type the function does not know');
}

export function fromAttributeMap(map: AttributeMap): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const name of Object.keys(map)) setOwn(item, name, fromAttributeValue(map[name]));
  return item;
}
