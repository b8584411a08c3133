/**
 * What an item may hold, checked before anything is sealed or written, so a put either protects
 * every attribute faithfully or fails with InvalidRequest and writes nothing. Each rule covers a
 * class of input rather than one example:
 *
 * - values JSON cannot carry faithfully: non-finite numbers (`1e400` parses to Infinity and would be
 *   stored as null), integers beyond ±2^53 (already rounded by JSON parsing), strings that are not
 *   well-formed Unicode (a lone surrogate becomes U+FFFD in UTF-8), and anything that is not a JSON
 *   value (functions, bigints, class instances, undefined inside lists);
 * - depth: DynamoDB nests documents at most 32 levels, and the same bound keeps every recursive walk
 *   (sealing, digests, canonical JSON) far from the stack limit, whatever the action;
 * - what only the plaintext path cannot carry: the AWS SDK's DynamoDB serializer builds maps by
 *   assignment, which turns a `__proto__` member into a prototype change and drops it, so a
 *   `__proto__` name anywhere in an attribute stored in plaintext is refused (inside the envelope it
 *   is carried faithfully); and numbers below DynamoDB's smallest magnitude (1e-130). Larger
 *   magnitudes than DynamoDB's 1e126 are all integers beyond ±2^53, refused for every action.
 *   (Every other name, `constructor` included, is safe: attribute-value.ts marshals by value type.)
 *
 * Messages name the attribute (shortened) and the problem, never a value.
 */
import { EnvelopeError, ErrorCode } from './errors';

/** DynamoDB's limit on nested lists and maps. */
export const MAX_DEPTH = 32;
/** DynamoDB's smallest number magnitude, besides zero. */
const DYNAMODB_MIN_MAGNITUDE = 1e-130;
/** Longest attribute name quoted in an error message. */
const QUOTED_NAME_CHARS = 64;

/** A lone surrogate: in `u` mode a paired surrogate is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when the string is well-formed Unicode (no lone surrogate), so UTF-8 carries it exactly. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** The attribute name as quoted in messages: JSON-escaped and shortened. */
export function quoteName(name: string): string {
  const short = name.length > QUOTED_NAME_CHARS ? `${name.slice(0, QUOTED_NAME_CHARS)}…` : name;
  return JSON.stringify(short);
}

function invalid(attribute: string, problem: string): EnvelopeError {
  return new EnvelopeError(ErrorCode.INVALID_REQUEST, `Attribute ${quoteName(attribute)}: ${problem}`);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkNumber(attribute: string, value: number, plaintext: boolean): void {
  if (!Number.isFinite(value)) throw invalid(attribute, 'holds a number JSON cannot carry (infinite or NaN)');
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw invalid(attribute, 'holds an integer beyond ±2^53, which JSON parsing has already rounded: send it as a string');
  }
  if (plaintext && value !== 0 && Math.abs(value) < DYNAMODB_MIN_MAGNITUDE) {
    throw invalid(attribute, 'holds a number below DynamoDB\'s smallest magnitude (1e-130) in a plaintext attribute');
  }
}

function checkName(attribute: string, name: string, plaintext: boolean): void {
  if (!isWellFormed(name)) throw invalid(attribute, 'has a member name that is not well-formed Unicode');
  if (plaintext && name === '__proto__') {
    throw invalid(attribute, 'has a member named __proto__, which the AWS SDK cannot store in plaintext: give the attribute the ENCRYPT_AND_SIGN action or rename the member');
  }
}

function checkValue(attribute: string, value: unknown, depth: number, plaintext: boolean): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw invalid(attribute, 'holds a string that is not well-formed Unicode (a lone surrogate)');
    return;
  }
  if (typeof value === 'number') return checkNumber(attribute, value, plaintext);
  if (typeof value !== 'object' || !(Array.isArray(value) || isPlainObject(value))) {
    throw invalid(attribute, `holds a ${value === undefined ? 'missing' : typeof value} value; only JSON values can be stored`);
  }
  if (depth >= MAX_DEPTH) throw invalid(attribute, `nests lists or maps deeper than ${MAX_DEPTH} levels (DynamoDB's limit)`);
  if (Array.isArray(value)) {
    for (const element of value) checkValue(attribute, element, depth + 1, plaintext);
    return;
  }
  for (const name of Object.keys(value)) {
    checkName(attribute, name, plaintext);
    checkValue(attribute, (value as Record<string, unknown>)[name], depth + 1, plaintext);
  }
}

/**
 * Checks one top-level attribute. `plaintext` is true for keys, SIGN_ONLY and DO_NOTHING
 * attributes (stored as they are), false for ENCRYPT_AND_SIGN ones (sealed in the envelope).
 */
export function checkAttribute(name: string, value: unknown, plaintext: boolean): void {
  if (name === '') throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'Attribute names must not be empty');
  checkName(name, name, plaintext);
  checkValue(name, value, 0, plaintext);
}
