/**
 * Optional secondary authorization on requestMetadata (spec section "Authorization"): a request
 * is allowed when any rule matches, and a rule matches when every field it names matches one of
 * its patterns. Never applied to GetHealthStatus.
 */
import type { AuthorizationRule } from './config';

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`);
}

export class Authorizer {
  private readonly rules: ReadonlyArray<ReadonlyArray<[string, RegExp[]]>>;

  constructor(rules: readonly AuthorizationRule[]) {
    this.rules = rules.map((rule) => Object.entries(rule).map(([field, patterns]) => [field, patterns.map(patternToRegExp)]));
  }

  /** The index of the first matching rule, or -1 when the request is denied. */
  public match(attributes: Readonly<Record<string, unknown>>): number {
    return this.rules.findIndex((rule) => rule.every(([field, patterns]) => {
      const value = attributes[field];
      return typeof value === 'string' && patterns.some((pattern) => pattern.test(value));
    }));
  }
}
