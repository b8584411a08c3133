/**
 * CloudFormation template types and intrinsic-function handling shared by the lint rules, the
 * key-policy evaluator and the CLI. Everything here is pure: JSON in, plain values out.
 *
 * Intrinsics are resolved as far as the template allows (parameter defaults, mappings, literal
 * joins); pseudo parameters stay symbolic (`${AWS::AccountId}`), and whatever is only known at
 * deploy time becomes an `Opaque` value: present, but never equal to a literal such as `*`.
 */
import { LintFinding } from './finding';

export { LintSeverity } from './finding';
export type { LintFinding } from './finding';
/** Short name used inside the linter. */
export type Finding = LintFinding;

/** A CloudFormation resource as it appears in a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: any;
  readonly UpdateReplacePolicy?: any;
  readonly Metadata?: Record<string, any>;
  readonly Condition?: string;
  readonly DependsOn?: any;
}

/** A CloudFormation template (only the sections the linter reads are typed). */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type?: string; Default?: any; [key: string]: any }>;
  readonly Mappings?: Record<string, Record<string, Record<string, any>>>;
  readonly Conditions?: Record<string, any>;
  readonly Resources?: Record<string, CfnResource>;
  readonly [section: string]: any;
}

/** A value that exists in the template but is only known at deploy time. */
export class Opaque {
  /**
   * @param text a readable rendering, e.g. `${MyRole.Arn}` or `arn:aws:iam::${Account}:root`
   * @param ref the resource or parameter it comes from, when it is a plain Ref/GetAtt
   */
  constructor(
    public readonly text: string,
    public readonly ref?: { readonly logicalId: string; readonly attribute?: string },
  ) {}

  public toString(): string {
    return this.text;
  }
}

/**
 * Any template value as text, never throwing: untrusted input may hold objects whose `toString` is
 * not a function (`{"toString": {}}`), which `String()` and template literals cannot convert.
 */
export function textOf(value: unknown): string {
  if (value instanceof Opaque) return value.text;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[unprintable value]'; // a cycle (e.g. from YAML aliases)
  }
}

/** A number, or a numeric string, as a number; any other value is NaN (it names no number). */
export function numberOf(value: unknown): number {
  return typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
}

/** A template value after intrinsic resolution. */
export type Resolved =
  | string
  | number
  | boolean
  | null
  | undefined
  | Opaque
  | Resolved[]
  | { [key: string]: Resolved };

/** A JSON object after resolution (e.g. a policy statement). */
export type ResolvedObject = { [key: string]: Resolved };

export function isOpaque(value: unknown): value is Opaque {
  return value instanceof Opaque;
}

export function isPlainObject(value: unknown): value is ResolvedObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Opaque);
}

export const PSEUDO_PARAMETERS: ReadonlySet<string> = new Set([
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::Region',
  'AWS::URLSuffix',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::NotificationARNs',
]);

/** The symbolic form a pseudo parameter resolves to, e.g. `${AWS::AccountId}`. */
export function pseudo(name: string): string {
  return '${' + name + '}';
}

/** The policy KMS applies when a key is created without one: the account root may do everything. */
export const KMS_DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:${pseudo('AWS::Partition')}:iam::${pseudo('AWS::AccountId')}:root` },
    Action: 'kms:*',
    Resource: '*',
  }],
};

const NO_VALUE = Symbol('AWS::NoValue');
type Internal = Resolved | typeof NO_VALUE;

/** True for `{ "Ref": ... }` and `{ "Fn::X": ... }` objects. */
export function isIntrinsic(value: unknown): value is Record<string, any> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** How `resolveIntrinsics` treats `Fn::If`. */
export interface ResolveOptions {
  /** The branch to take for each condition name (`true`: the first value); other `Fn::If`s stay opaque. */
  readonly choices?: ReadonlyMap<string, boolean>;
  /** Receives the condition names of the `Fn::If`s met that `choices` does not decide. */
  readonly undecided?: Set<string>;
}

/**
 * Resolving intrinsics can build far more than the template holds (a long parameter default
 * referenced from many `Fn::Sub`s, `Fn::Split` of a long list, every `Fn::If` branch judged on
 * its own). Every string, list element and branch built is counted against one budget per
 * template, so no template makes lint, explain or a synth use unbounded memory or time.
 */
export const MAX_RESOLVED_UNITS = 64 * 1024 * 1024;

/** A template whose intrinsics expand beyond `MAX_RESOLVED_UNITS`. */
export class ExpansionLimitError extends Error {
  constructor() {
    super(`the template's intrinsic functions expand to more than ${MAX_RESOLVED_UNITS / (1024 * 1024)} Mi characters `
      + '(Fn::Sub, Fn::Join, Fn::Split or list parameters repeated many times); it cannot be a deployable template');
    this.name = 'ExpansionLimitError';
  }
}

const BUDGETS = new WeakMap<object, { used: number }>();

/** Counts `units` against the template's budget. */
export function chargeExpansion(template: object, units: number): void {
  let budget = BUDGETS.get(template);
  if (!budget) BUDGETS.set(template, budget = { used: 0 });
  budget.used += units;
  if (budget.used > MAX_RESOLVED_UNITS) throw new ExpansionLimitError();
}

/** The template's own value for a user-controlled name (never one inherited from Object.prototype, such as `constructor`). */
export function ownValue(container: unknown, name: string): any {
  return isPlainObject(container) && Object.prototype.hasOwnProperty.call(container, name) ? container[name] : undefined;
}

/** Sets a property named by the template, `__proto__` included, as a plain own property. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Resolves every intrinsic function inside `value` against `template`.
 * `Ref: AWS::NoValue` removes the property or list element it stands in.
 */
export function resolveIntrinsics(value: any, template: CfnTemplate = {}, options: ResolveOptions = {}): Resolved {
  const resolver = new Resolver(template, options);
  const resolved = resolver.resolve(value);
  // Each resolution counts the nodes it visited: resolving one large resource once per Fn::If
  // combination is bounded by the same budget.
  chargeExpansion(template, resolver.visited);
  return resolved === NO_VALUE ? undefined : resolved;
}

class Resolver {
  public visited = 0;

  constructor(private readonly template: CfnTemplate, private readonly options: ResolveOptions) {}

  public resolve(value: any): Internal {
    this.visited++;
    if (Array.isArray(value)) {
      return value.map((item) => this.resolve(item)).filter((item): item is Resolved => item !== NO_VALUE);
    }
    if (!isPlainObject(value)) return value as Resolved;
    if (isIntrinsic(value)) return this.intrinsic(Object.keys(value)[0], Object.values(value)[0]);
    const result: ResolvedObject = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.resolve(item);
      if (resolved !== NO_VALUE) setOwn(result, key, resolved);
    }
    return result;
  }

  private intrinsic(name: string, args: any): Internal {
    switch (name) {
      case 'Ref': return this.ref(textOf(args));
      case 'Fn::GetAtt': return this.getAtt(args);
      case 'Fn::Join': return this.join(args);
      case 'Fn::Sub': return this.sub(args);
      case 'Fn::Select': return this.select(args);
      case 'Fn::FindInMap': return this.findInMap(args);
      case 'Fn::Split': return this.split(args);
      case 'Fn::If': return this.if(args);
      default: return new Opaque(`${name}(${JSON.stringify(args)})`);
    }
  }

  /** The branch `options.choices` picks; otherwise opaque, and the condition is reported as undecided. */
  private if(args: any): Internal {
    const condition = Array.isArray(args) && args.length === 3 && typeof args[0] === 'string' ? args[0] : undefined;
    const choice = condition === undefined ? undefined : this.options.choices?.get(condition);
    if (choice === undefined) {
      if (condition !== undefined) this.options.undecided?.add(condition);
      return new Opaque(`Fn::If(${condition ?? '?'})`);
    }
    return this.resolve(args[choice ? 1 : 2]);
  }

  private ref(name: string): Internal {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (PSEUDO_PARAMETERS.has(name)) return pseudo(name);
    const parameter = ownValue(this.template.Parameters, name);
    if (isPlainObject(parameter) && parameter.Default !== undefined && parameter.Default !== null) {
      const isList = /^(CommaDelimitedList|List<)/.test(typeof parameter.Type === 'string' ? parameter.Type : '');
      const fallback = parameter.Default;
      const text = typeof fallback === 'object' ? (Array.isArray(fallback) ? fallback.map(textOf).join(',') : JSON.stringify(fallback)) : textOf(fallback);
      if (!isList) return text;
      chargeExpansion(this.template, text.length); // before the list is built
      return text.split(',').map((item) => item.trim());
    }
    return new Opaque(pseudo(name), { logicalId: name });
  }

  private getAtt(args: any): Opaque {
    const [logicalId, ...attribute] = Array.isArray(args) ? args.map(textOf) : textOf(args).split('.');
    const attr = attribute.join('.');
    return new Opaque(pseudo(`${logicalId}.${attr}`), { logicalId, attribute: attr });
  }

  private join(args: any): Internal {
    if (!Array.isArray(args) || args.length !== 2) return new Opaque(`Fn::Join(${JSON.stringify(args)})`);
    const delimiter = textOf(this.resolve(args[0]));
    const parts = this.resolve(args[1]);
    if (!Array.isArray(parts)) return new Opaque(`Fn::Join(${textOf(parts)})`);
    return this.concat(parts, delimiter);
  }

  private sub(args: any): Internal {
    const [text, variables] = Array.isArray(args) ? [textOf(args[0]), args[1]] : [textOf(args), undefined];
    const pieces: Resolved[] = [];
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      pieces.push(text.slice(last, match.index));
      last = match.index + match[0].length;
      const name = match[1].trim();
      const variable = ownValue(variables, name);
      if (name.startsWith('!')) pieces.push('${' + name.slice(1) + '}');
      else if (variable !== undefined) pieces.push(flatten(this.resolve(variable)));
      else if (name.includes('.')) pieces.push(this.getAtt(name));
      else pieces.push(flatten(this.ref(name)));
    }
    pieces.push(text.slice(last));
    return this.concat(pieces, '');
  }

  private select(args: any): Internal {
    if (!Array.isArray(args) || args.length !== 2) return new Opaque(`Fn::Select(${JSON.stringify(args)})`);
    const index = numberOf(this.resolve(args[0]));
    const list = this.resolve(args[1]);
    if (Array.isArray(list) && Number.isInteger(index) && index >= 0 && index < list.length) return list[index];
    return new Opaque(`Fn::Select(${index}, ${textOf(list)})`);
  }

  /**
   * A mapping value is a literal (CloudFormation allows no functions inside Mappings), so it is
   * not resolved again: a mapping that names itself cannot recurse.
   */
  private findInMap(args: any): Internal {
    const keys = Array.isArray(args) ? args.map((arg) => this.resolve(arg)) : [];
    if (keys.length === 3 && keys.every((key) => typeof key === 'string')) {
      const [map, top, second] = keys as string[];
      const value = ownValue(ownValue(ownValue(this.template.Mappings, map), top), second);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    }
    return new Opaque(`Fn::FindInMap(${keys.map(textOf).join(', ')})`);
  }

  private split(args: any): Internal {
    if (!Array.isArray(args) || args.length !== 2) return new Opaque(`Fn::Split(${JSON.stringify(args)})`);
    const delimiter = textOf(this.resolve(args[0]));
    const source = this.resolve(args[1]);
    if (typeof source !== 'string') return new Opaque(`Fn::Split(${textOf(source)})`);
    chargeExpansion(this.template, source.length);
    return source.split(delimiter);
  }

  /** `concat`, counted against the budget before the string is built. */
  private concat(parts: Resolved[], delimiter: string): Resolved {
    const length = parts.reduce((sum: number, part) => sum + (typeof part === 'string' ? part.length : isOpaque(part) ? part.text.length : 16), 0);
    chargeExpansion(this.template, length + delimiter.length * parts.length);
    return concat(parts, delimiter);
  }
}

/** A list value used where a string is expected (Sub variables) is rendered opaque. */
function flatten(value: Internal): Resolved {
  if (value === NO_VALUE) return '';
  if (Array.isArray(value) || isPlainObject(value)) return new Opaque(JSON.stringify(value));
  return value;
}

/** Joins resolved parts; any opaque part makes the whole result opaque (but readable). */
function concat(parts: Resolved[], delimiter: string): Resolved {
  const text = parts.map((part) => (part === undefined || part === null ? '' : textOf(part))).join(delimiter);
  const opaqueParts = parts.filter(isOpaque);
  if (opaqueParts.length === 0) return text;
  const onlyPart = parts.length === 1 ? opaqueParts[0] : undefined;
  return new Opaque(text, onlyPart?.ref);
}

// ---------------------------------------------------------------------------------------------
// Key-policy statements

/** A key-policy (or IAM policy) statement after intrinsic resolution. */
export interface PolicyStatement {
  readonly Sid?: Resolved;
  readonly Effect?: Resolved;
  readonly Principal?: Resolved;
  readonly NotPrincipal?: Resolved;
  readonly Action?: Resolved;
  readonly NotAction?: Resolved;
  readonly Resource?: Resolved;
  readonly NotResource?: Resolved;
  readonly Condition?: Resolved;
  readonly [key: string]: Resolved;
}

/** A statement with its position in the policy document. */
export interface IndexedStatement {
  readonly statement: PolicyStatement;
  readonly index: number;
}

/**
 * The statements of a resolved policy document. Opaque statements (e.g. `Fn::If`) are skipped:
 * they are present but cannot be judged. A JSON-string document is parsed.
 */
export function policyStatements(document: Resolved): IndexedStatement[] {
  let doc: Resolved = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as Resolved;
    } catch {
      return [];
    }
  }
  if (!isPlainObject(doc)) return [];
  return toArray(doc.Statement)
    .map((statement, index) => ({ statement: statement as PolicyStatement, index }))
    .filter(({ statement }) => isPlainObject(statement));
}

/** `undefined` → `[]`, a scalar → `[scalar]`, a list → the list. */
export function toArray(value: Resolved): Resolved[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A statement's value that may only be a string or opaque (actions, resources, principals). */
export type Term = string | Opaque;

function toTerms(value: Resolved): Term[] {
  return toArray(value).map((item) => (typeof item === 'string' || isOpaque(item) ? item : new Opaque(JSON.stringify(item))));
}

export function isAllow(statement: PolicyStatement): boolean {
  return statement.Effect === 'Allow';
}

export function isDeny(statement: PolicyStatement): boolean {
  return statement.Effect === 'Deny';
}

/** The statement's actions, and whether they are `NotAction` (everything except these). */
export function statementActions(statement: PolicyStatement): { readonly actions: Term[]; readonly not: boolean } {
  if (statement.NotAction !== undefined) return { actions: toTerms(statement.NotAction), not: true };
  return { actions: toTerms(statement.Action), not: false };
}

/** The statement's resources, and whether they are `NotResource`. */
export function statementResources(statement: PolicyStatement): { readonly resources: Term[]; readonly not: boolean } {
  if (statement.NotResource !== undefined) return { resources: toTerms(statement.NotResource), not: true };
  return { resources: toTerms(statement.Resource), not: false };
}

/** The kind of a principal entry: a key of the Principal object, `*` for `"Principal": "*"`. */
export type PrincipalKind = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser' | '*' | 'opaque';

export interface PrincipalEntry {
  readonly kind: PrincipalKind | string;
  readonly value: Term;
}

/** Flattens a Principal/NotPrincipal element into one entry per principal. */
export function principalEntries(principal: Resolved): PrincipalEntry[] {
  if (principal === undefined || principal === null) return [];
  if (principal === '*') return [{ kind: '*', value: '*' }];
  if (isOpaque(principal) || !isPlainObject(principal)) return [{ kind: 'opaque', value: isOpaque(principal) ? principal : new Opaque(JSON.stringify(principal)) }];
  return Object.entries(principal).flatMap(([kind, values]) => toTerms(values).map((value) => ({ kind, value })));
}

/** The principals a statement applies to, and whether they are `NotPrincipal` (everyone except). */
export function statementPrincipals(statement: PolicyStatement): { readonly principals: PrincipalEntry[]; readonly not: boolean } {
  if (statement.NotPrincipal !== undefined) return { principals: principalEntries(statement.NotPrincipal), not: true };
  return { principals: principalEntries(statement.Principal), not: false };
}

/** `"*"` or `{"AWS": "*"}`: anyone. */
export function isWildcardPrincipal(entry: PrincipalEntry): boolean {
  return entry.value === '*' && (entry.kind === '*' || entry.kind === 'AWS');
}

const PARTITION = '(?:aws|aws-cn|aws-us-gov|aws-iso(?:-[a-z])?|aws-eusc|\\$\\{AWS::Partition\\})';
const ROOT_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}|\\$\\{AWS::AccountId\\}):root$`);
const OPAQUE_ROOT_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}|\\$\\{[A-Za-z0-9:.]+\\}):root$`);

/**
 * The account whose root a principal value names (`arn:aws:iam::111122223333:root`, a bare
 * 12-digit account id, or the CDK form `arn:${AWS::Partition}:iam::${AWS::AccountId}:root`), or
 * `undefined` when it is not an account-root principal. The own account is `${AWS::AccountId}`.
 */
export function accountRootOf(value: Term): string | undefined {
  if (isOpaque(value)) return OPAQUE_ROOT_ARN.exec(value.text)?.[1];
  if (/^\d{12}$/.test(value)) return value;
  return ROOT_ARN.exec(value)?.[1];
}

/** True when the entry is an account root (`AWS` principal naming `arn:...:iam::<acct>:root`). */
export function isAccountRootPrincipal(entry: PrincipalEntry): boolean {
  return entry.kind === 'AWS' && accountRootOf(entry.value) !== undefined;
}

/** One condition test: `{ "<operator>": { "<key>": values } }`. */
export interface ConditionEntry {
  /** The operator as written, e.g. `ForAllValues:StringEquals`. */
  readonly operator: string;
  /** Set qualifier, if any. */
  readonly qualifier?: 'ForAllValues' | 'ForAnyValue';
  /** Operator without qualifier and `IfExists`, e.g. `StringEquals`. */
  readonly baseOperator: string;
  readonly ifExists: boolean;
  /** The condition key as written (condition keys are case-insensitive: compare lower-cased). */
  readonly key: string;
  readonly values: Resolved[];
}

/** Flattens a statement's Condition block. */
export function conditionEntries(statement: PolicyStatement): ConditionEntry[] {
  const condition = statement.Condition;
  if (!isPlainObject(condition)) return [];
  return Object.entries(condition).flatMap(([operator, tests]) => {
    if (!isPlainObject(tests)) return [];
    const [qualifierText, rest] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
    const qualifier = qualifierText === 'ForAllValues' || qualifierText === 'ForAnyValue' ? qualifierText : undefined;
    const ifExists = rest.endsWith('IfExists');
    const baseOperator = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
    return Object.entries(tests).map(([key, values]) => ({ operator, qualifier, baseOperator, ifExists, key, values: toArray(values) }));
  });
}

const WILDCARD_CACHE = new Map<string, RegExp>();
const WILDCARD_CACHE_SIZE = 10_000;

/** IAM-style wildcard match (`*`, `?`), case-insensitive as action names are. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === value.toLowerCase();
  let regex = WILDCARD_CACHE.get(pattern);
  if (!regex) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regex = new RegExp(`^${source}$`, 'i');
    if (WILDCARD_CACHE.size >= WILDCARD_CACHE_SIZE) WILDCARD_CACHE.clear();
    WILDCARD_CACHE.set(pattern, regex);
  }
  return regex.test(value);
}

/** Human-readable label of a statement for messages: `Sid "X"` or `statement #3`. */
export function statementLabel(statement: PolicyStatement, index: number): string {
  return typeof statement.Sid === 'string' && statement.Sid !== '' ? `statement "${statement.Sid}"` : `statement #${index + 1}`;
}

/** Construct path of a resource (`aws:cdk:path` metadata), if any. */
export function constructPath(resource: CfnResource): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/**
 * Deepest nesting of objects and lists the linter, explain and the CLI accept. CloudFormation
 * templates nest about 15 levels (policy conditions inside intrinsics); every walk over a value
 * (intrinsic resolution, policy size, rendering) is recursive, so depth is checked first, by an
 * iterative walk, and a deeper value is refused instead of overflowing the stack.
 */
export const MAX_NESTING_DEPTH = 128;

/** True when `value` nests objects or lists deeper than `limit` (checked without recursion). */
export function nestsDeeperThan(value: unknown, limit: number = MAX_NESTING_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}
