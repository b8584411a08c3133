/**
 * An EventBridge event-pattern matcher for tests, following EventBridge's documented semantics
 * (no maintained npm package does this; AWS's own matcher, event-ruler, is a Java library).
 *
 * - Every field of the pattern must match (AND); the values listed for a field are alternatives
 *   (OR); `$or` lists alternative sub-patterns.
 * - Events are flattened: arrays (also arrays of objects) contribute every element's leaves to the
 *   same path, and a leaf matches when any of its values matches.
 * - Leaf matchers: literals (string, number compared numerically, boolean, null), prefix, suffix
 *   (each also with equals-ignore-case), equals-ignore-case, wildcard, anything-but (literal, list,
 *   prefix, suffix, equals-ignore-case, wildcard), numeric, cidr (IPv4) and exists.
 * Unknown operators throw, so a test never passes on syntax the matcher does not understand.
 */

type Leaf = string | number | boolean | null;
const SEP = '\u0000';

/** Whether `event` matches the EventBridge `pattern`. */
export function matchesEventPattern(pattern: object, event: unknown): boolean {
  const flat = new Map<string, Leaf[]>();
  flatten(event, '', flat);
  return matchObject(pattern as Record<string, unknown>, flat, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(value: unknown, path: string, out: Map<string, Leaf[]>): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, path, out);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, path === '' ? key : `${path}${SEP}${key}`, out);
  } else if (path !== '') {
    const values = out.get(path) ?? [];
    values.push(value as Leaf);
    out.set(path, values);
  }
}

function matchObject(pattern: Record<string, unknown>, flat: Map<string, Leaf[]>, prefix: string): boolean {
  if (!isObject(pattern)) throw new Error(`an event pattern is a JSON object, got ${JSON.stringify(pattern)}`);
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2) throw new Error('$or takes a list of at least two patterns');
      return sub.some((alternative) => matchObject(alternative as Record<string, unknown>, flat, prefix));
    }
    const path = prefix === '' ? key : `${prefix}${SEP}${key}`;
    if (Array.isArray(sub)) return matchLeaf(sub, flat.get(path));
    if (isObject(sub)) return matchObject(sub, flat, path);
    throw new Error(`pattern field '${key}' must be a list of values or an object, got ${JSON.stringify(sub)}`);
  });
}

function matchLeaf(matchers: unknown[], values: Leaf[] | undefined): boolean {
  if (matchers.length === 0) throw new Error('an empty list of values matches nothing: EventBridge rejects it');
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      if (typeof matcher.exists !== 'boolean') throw new Error('exists takes true or false');
      return matcher.exists === (values !== undefined);
    }
    return values !== undefined && values.some((value) => matchValue(matcher, value));
  });
}

function matchValue(matcher: unknown, value: Leaf): boolean {
  if (!isObject(matcher)) return literalEquals(matcher, value);
  const entries = Object.entries(matcher);
  if (entries.length !== 1) throw new Error(`a matcher has exactly one operator, got ${JSON.stringify(matcher)}`);
  const [operator, operand] = entries[0];
  switch (operator) {
    case 'prefix': return stringMatch(operand, value, (v, s) => v.startsWith(s));
    case 'suffix': return stringMatch(operand, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case': return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard': return typeof value === 'string' && wildcardMatch(String(operand), value);
    case 'anything-but': return !anythingButExcludes(operand, value);
    case 'numeric': return typeof value === 'number' && numericMatch(operand, value);
    case 'cidr': return typeof value === 'string' && cidrMatch(String(operand), value);
    default: throw new Error(`unsupported event-pattern operator '${operator}'`);
  }
}

function literalEquals(literal: unknown, value: Leaf): boolean {
  if (typeof literal === 'number' && typeof value === 'number') return literal === value;
  if (!['string', 'number', 'boolean'].includes(typeof literal) && literal !== null) {
    throw new Error(`unsupported literal ${JSON.stringify(literal)}`);
  }
  return literal === value;
}

/** prefix/suffix with a string, or with `{ "equals-ignore-case": string }`. */
function stringMatch(operand: unknown, value: Leaf, test: (value: string, operand: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  throw new Error(`unsupported prefix/suffix operand ${JSON.stringify(operand)}`);
}

/** Whether anything-but's operand names the value (so anything-but does not match). */
function anythingButExcludes(operand: unknown, value: Leaf): boolean {
  if (Array.isArray(operand)) return operand.some((item) => literalEquals(item, value));
  if (!isObject(operand)) return literalEquals(operand, value);
  const [[operator, inner]] = Object.entries(operand);
  const list = Array.isArray(inner) ? inner : [inner];
  return list.some((item) => matchValue({ [operator]: item }, value));
}

/** `*` matches any run of characters; `\*` and `\\` are a literal star and backslash. */
function wildcardMatch(pattern: string, value: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      regex += `\\${pattern[++i]}`;
    } else if (c === '*') {
      regex += '.*';
    } else {
      regex += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

function numericMatch(operand: unknown, value: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) throw new Error(`numeric takes [op, n, (op, n)], got ${JSON.stringify(operand)}`);
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], Number(operand[i + 1])];
    const ok = op === '=' ? value === bound : op === '<' ? value < bound : op === '<=' ? value <= bound
      : op === '>' ? value > bound : op === '>=' ? value >= bound : undefined;
    if (ok === undefined) throw new Error(`unknown numeric operator ${String(op)}`);
    if (!ok) return false;
  }
  return true;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function cidrMatch(cidr: string, value: string): boolean {
  const [network, bitsText] = cidr.split('/');
  const base = ipv4(network);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`unsupported cidr ${cidr}`);
  const address = ipv4(value);
  if (address === undefined) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}
