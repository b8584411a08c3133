import { arnMatch, wildcardMatch } from './patterns';

/** Compares one request value with one policy value. */
type Comparator = (requestValue: string, policyValue: string) => boolean;

interface BaseOperator {
  readonly compare: Comparator;
  /** Negated operators (StringNotEquals, ...) hold when no policy value matches, and when the key is absent. */
  readonly negated: boolean;
}

function numeric(test: (a: number, b: number) => boolean): Comparator {
  return (requestValue, policyValue) => {
    const a = parseNumber(requestValue);
    const b = parseNumber(policyValue);
    return a !== undefined && b !== undefined && test(a, b);
  };
}

function date(test: (a: number, b: number) => boolean): Comparator {
  return (requestValue, policyValue) => {
    const a = parseDate(requestValue);
    const b = parseDate(policyValue);
    return a !== undefined && b !== undefined && test(a, b);
  };
}

function parseNumber(value: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) return undefined;
  return Number(value);
}

/** Dates are ISO 8601 or epoch seconds. */
function parseDate(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : millis;
}

const stringEquals: Comparator = (a, b) => a === b;
const stringEqualsIgnoreCase: Comparator = (a, b) => a.toLowerCase() === b.toLowerCase();
const stringLike: Comparator = (a, b) => wildcardMatch(b, a);
const arnLike: Comparator = (a, b) => arnMatch(b, a);
const bool: Comparator = (a, b) => {
  const policy = b.toLowerCase();
  return (policy === 'true' || policy === 'false') && a.toLowerCase() === policy;
};
const ipAddress: Comparator = (a, b) => ipInCidr(a, b);
const numEq = numeric((a, b) => a === b);
const dateEq = date((a, b) => a === b);

const OPERATORS: Record<string, BaseOperator> = {
  stringequals: { compare: stringEquals, negated: false },
  stringnotequals: { compare: stringEquals, negated: true },
  stringequalsignorecase: { compare: stringEqualsIgnoreCase, negated: false },
  stringnotequalsignorecase: { compare: stringEqualsIgnoreCase, negated: true },
  stringlike: { compare: stringLike, negated: false },
  stringnotlike: { compare: stringLike, negated: true },
  numericequals: { compare: numEq, negated: false },
  numericnotequals: { compare: numEq, negated: true },
  numericlessthan: { compare: numeric((a, b) => a < b), negated: false },
  numericlessthanequals: { compare: numeric((a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: numeric((a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: numeric((a, b) => a >= b), negated: false },
  dateequals: { compare: dateEq, negated: false },
  datenotequals: { compare: dateEq, negated: true },
  datelessthan: { compare: date((a, b) => a < b), negated: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false },
  bool: { compare: bool, negated: false },
  arnequals: { compare: arnLike, negated: false },
  arnlike: { compare: arnLike, negated: false },
  arnnotequals: { compare: arnLike, negated: true },
  arnnotlike: { compare: arnLike, negated: true },
  ipaddress: { compare: ipAddress, negated: false },
  notipaddress: { compare: ipAddress, negated: true },
  binaryequals: { compare: stringEquals, negated: false },
};

/** A parsed condition operator such as `ForAnyValue:StringLikeIfExists`. */
export interface ConditionOperator {
  readonly name: string;
  readonly setOperator?: 'ForAnyValue' | 'ForAllValues';
  readonly ifExists: boolean;
  /** Undefined for `Null`. */
  readonly base?: BaseOperator;
  readonly isNull: boolean;
}

/** Parses an operator name (case-insensitive); undefined when it is not an IAM operator. */
export function parseOperator(name: string): ConditionOperator | undefined {
  let rest = name;
  let setOperator: ConditionOperator['setOperator'];
  const set = /^(forAnyValue|forAllValues):/i.exec(rest);
  if (set) {
    setOperator = set[1].toLowerCase() === 'foranyvalue' ? 'ForAnyValue' : 'ForAllValues';
    rest = rest.slice(set[0].length);
  }
  if (rest.toLowerCase() === 'null') return { name, setOperator, ifExists: false, isNull: true };
  const ifExists = /IfExists$/i.test(rest);
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = OPERATORS[rest.toLowerCase()];
  return base ? { name, setOperator, ifExists, base, isNull: false } : undefined;
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split('/');
  const address = parseIp(ip);
  const net = parseIp(network);
  if (!address || !net || address.length !== net.length) return false;
  const bits = bitsText === undefined ? address.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > address.length * 8) return false;
  for (let i = 0; i < address.length; i++) {
    const ignoredBits = 8 - Math.max(0, Math.min(8, bits - i * 8));
    if (Math.floor(address[i] / 2 ** ignoredBits) !== Math.floor(net[i] / 2 ** ignoredBits)) return false;
  }
  return true;
}

/** IPv4 or IPv6 address as bytes, undefined when malformed. */
function parseIp(text: string): number[] | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [Math.floor(n / 256), n % 256];
  });
}
