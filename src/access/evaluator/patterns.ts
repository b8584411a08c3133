/** Wildcard matching (`*` any run, `?` one character) as IAM uses it in actions, resources and StringLike. */

const cache = new Map<string, RegExp>();

function globToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regexp = cache.get(cacheKey);
  if (!regexp) {
    const body = pattern
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    regexp = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    cache.set(cacheKey, regexp);
  }
  return regexp;
}

/** True when `value` matches `pattern`, where `*` matches any run of characters and `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return globToRegExp(pattern, ignoreCase).test(value);
}

/**
 * ARN matching as ArnLike/ArnEquals do it: the six colon-separated parts are compared one by one
 * (wildcards never cross a colon in the first five), case-sensitively.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  const patternParts = splitArn(pattern);
  const arnParts = splitArn(arn);
  if (!patternParts || !arnParts) return false;
  return patternParts.every((part, i) => wildcardMatch(part, arnParts[i]));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** A policy element that may be one value or a list, as a list (undefined stays empty). */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Only strings can match: anything else is an unresolved (opaque) value. */
export function isResolved(value: unknown): value is string {
  return typeof value === 'string';
}
