/**
 * `--allow principal-pattern:capability`: grants a pipeline accepts, so it gates only on surprises.
 * The pattern matches the principal as the report names it (construct path, ARN, `service ...`,
 * `account ...`), `*` any run and `?` one character; the capability is an id (`decrypt`,
 * `create-grant`, ...) or `*`. The last colon separates the two, as ARNs contain colons.
 */
import { wildcardMatch } from '../evaluator/patterns';
import { CAPABILITIES } from '../explain';
import { Change, DiffResult } from './changes';

export interface AllowRule {
  readonly text: string;
  readonly principal: string;
  readonly capability: string;
}

/** An `--allow` value that cannot be a rule. */
export class AllowRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowRuleError';
  }
}

const CAPABILITY_IDS = CAPABILITIES.map((c) => c.id);

export function parseAllowRule(text: string): AllowRule {
  const colon = text.lastIndexOf(':');
  const principal = colon < 0 ? '' : text.slice(0, colon).trim();
  const capability = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (principal === '' || capability === '') {
    throw new AllowRuleError(`--allow takes principal-pattern:capability, e.g. 'Platform/ReportingRole*:decrypt' (got '${text}')`);
  }
  if (capability !== '*' && !CAPABILITY_IDS.includes(capability)) {
    throw new AllowRuleError(`--allow '${text}': unknown capability '${capability}' (one of ${CAPABILITY_IDS.join(', ')}, or *)`);
  }
  return { text, principal, capability };
}

/** The rule that accepts a change, if any (only access changes with a principal can be accepted). */
export function allowingRule(rules: readonly AllowRule[], change: Change): AllowRule | undefined {
  if (change.effect !== 'more-access' || change.principal === undefined || change.capability === undefined) return undefined;
  return rules.find((rule) => (rule.capability === '*' || rule.capability === change.capability) && wildcardMatch(rule.principal, change.principal!));
}

/** The result with `allowedBy` set on every more-access change a rule accepts. */
export function applyAllowRules(result: DiffResult, rules: readonly AllowRule[]): DiffResult {
  if (rules.length === 0) return result;
  return {
    ...result,
    keys: result.keys.map((key) => ({
      ...key,
      changes: key.changes.map((change) => {
        const rule = allowingRule(rules, change);
        return rule ? { ...change, allowedBy: rule.text } : change;
      }),
    })),
  };
}

/** More-access changes no rule accepts: what makes the diff fail. */
export function unacceptedAccess(result: DiffResult): Change[] {
  return result.keys.flatMap((key) => key.changes.filter((change) => change.effect === 'more-access' && change.allowedBy === undefined));
}
