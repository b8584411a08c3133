/**
 * A matcher for CloudWatch Logs JSON filter patterns (`{ $.field = value && ... }`), for tests,
 * following the CloudWatch Logs user guide ("Filter pattern syntax for JSON log events"):
 * selectors `$.a.b`, `$.a[0]`, `$.a[0][1]`; operators = != < > <= >=; quoted or bare string values
 * with `*` wildcards; numbers; IS NULL / IS TRUE / IS FALSE / NOT EXISTS; && and || with
 * parentheses (&& binds tighter). Regular-expression values (`%...%`) and space-delimited or
 * plain-text patterns are not supported and throw.
 */

type Token = { kind: 'punct' | 'op' | 'word' | 'string'; text: string };

/** Whether the JSON log event (a string or an object) matches the filter pattern. */
export function matchesLogFilterPattern(pattern: string, logEvent: string | object): boolean {
  const event = typeof logEvent === 'string' ? JSON.parse(logEvent) : logEvent;
  const trimmed = pattern.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) throw new Error(`only JSON filter patterns ({ ... }) are supported: ${pattern}`);
  const parser = new Parser(tokenize(trimmed.slice(1, -1)));
  const expression = parser.expression();
  parser.expectEnd();
  return expression(event);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') { tokens.push({ kind: 'punct', text: two }); i += 2; continue; }
    if (two === '!=' || two === '<=' || two === '>=') { tokens.push({ kind: 'op', text: two }); i += 2; continue; }
    if (c === '=' || c === '<' || c === '>') { tokens.push({ kind: 'op', text: c }); i++; continue; }
    if (c === '(' || c === ')') { tokens.push({ kind: 'punct', text: c }); i++; continue; }
    if (c === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') throw new Error(`unterminated string in filter pattern: ${text}`);
      i++;
      tokens.push({ kind: 'string', text: value });
      continue;
    }
    let word = '';
    while (i < text.length && !/[\s()=<>!&|"]/.test(text[i])) word += text[i++];
    if (word === '') throw new Error(`unexpected '${c}' in filter pattern: ${text}`);
    tokens.push({ kind: 'word', text: word });
  }
  return tokens;
}

type Predicate = (event: unknown) => boolean;

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  expression(): Predicate {
    const terms = [this.conjunction()];
    while (this.peek()?.text === '||') { this.position++; terms.push(this.conjunction()); }
    return (event) => terms.some((term) => term(event));
  }

  expectEnd(): void {
    if (this.position !== this.tokens.length) throw new Error(`unexpected '${this.tokens[this.position].text}' in filter pattern`);
  }

  private conjunction(): Predicate {
    const factors = [this.factor()];
    while (this.peek()?.text === '&&') { this.position++; factors.push(this.factor()); }
    return (event) => factors.every((factor) => factor(event));
  }

  private factor(): Predicate {
    if (this.peek()?.text === '(') {
      this.position++;
      const inner = this.expression();
      if (this.next().text !== ')') throw new Error('missing ) in filter pattern');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Predicate {
    const selector = this.next();
    if (selector.kind !== 'word' || !selector.text.startsWith('$')) throw new Error(`expected a $. selector, got '${selector.text}'`);
    const path = parseSelector(selector.text);
    const operator = this.next();
    if (operator.kind === 'word' && operator.text === 'IS') {
      const what = this.next().text;
      const expected = { NULL: null, TRUE: true, FALSE: false }[what];
      if (expected === undefined) throw new Error(`IS takes NULL, TRUE or FALSE, got ${what}`);
      return (event) => { const found = select(event, path); return found.present && found.value === expected; };
    }
    if (operator.kind === 'word' && operator.text === 'NOT') {
      if (this.next().text !== 'EXISTS') throw new Error('NOT must be followed by EXISTS');
      return (event) => !select(event, path).present;
    }
    if (operator.kind !== 'op') throw new Error(`expected an operator after ${selector.text}, got '${operator.text}'`);
    const value = this.next();
    if (value.kind !== 'word' && value.kind !== 'string') throw new Error(`expected a value after ${operator.text}`);
    if (value.text.startsWith('%')) throw new Error('regular-expression values are not supported');
    return (event) => {
      const found = select(event, path);
      return found.present && compare(found.value, operator.text, value);
    };
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new Error('filter pattern ends too early');
    return token;
  }
}

type Step = string | number;

function parseSelector(text: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/g;
  const rest = text.slice(1);
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(rest)) !== null) {
    if (match.index !== consumed) break;
    steps.push(match[1] !== undefined ? match[1] : Number(match[2]));
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length || steps.length === 0) throw new Error(`bad selector ${text}`);
  return steps;
}

function select(event: unknown, path: Step[]): { present: boolean; value?: unknown } {
  let current: unknown = event;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return { present: false };
      current = current[step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, step)) {
        return { present: false };
      }
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { present: true, value: current };
}

function compare(actual: unknown, operator: string, expected: Token): boolean {
  const number = Number(expected.text);
  if (expected.kind === 'word' && expected.text !== '' && Number.isFinite(number) && typeof actual === 'number') {
    switch (operator) {
      case '=': return actual === number;
      case '!=': return actual !== number;
      case '<': return actual < number;
      case '>': return actual > number;
      case '<=': return actual <= number;
      case '>=': return actual >= number;
    }
  }
  if (operator !== '=' && operator !== '!=') throw new Error(`${operator} compares numbers only`);
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return operator === '!=';
  const matches = wildcardEquals(expected.text, String(actual));
  return operator === '=' ? matches : !matches;
}

function wildcardEquals(pattern: string, value: string): boolean {
  const regex = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${regex}$`, 's').test(value);
}
