import { RequestContext } from './context';
import { ConditionOperator, parseOperator } from './operators';
import { asList, isResolved } from './patterns';

/** One test of a Condition block: an operator, a condition key and the policy's values. */
export interface ConditionTest {
  readonly operator: string;
  readonly key: string;
  /** The policy's values; unresolved (opaque) values are kept for display but never match. */
  readonly values: readonly unknown[];
}

/** Flattens a Condition block into its tests (all of which must hold). */
export function conditionTests(condition: unknown): ConditionTest[] {
  if (typeof condition !== 'object' || condition === null) return [];
  return Object.entries(condition as Record<string, unknown>).flatMap(([operator, block]) => {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      return [{ operator, key: '', values: [block] }];
    }
    return Object.entries(block as Record<string, unknown>).map(([key, values]) => ({ operator, key, values: asList(values) }));
  });
}

/** True when every test of the Condition block holds for the request (an absent block always holds). */
export function conditionsHold(condition: unknown, context: RequestContext): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  return conditionTests(condition).every((test) => testHolds(test, context));
}

/** Evaluates one test; an unknown operator never holds. */
export function testHolds(test: ConditionTest, context: RequestContext): boolean {
  const operator = parseOperator(test.operator);
  if (!operator) return false;
  const policyValues = test.values.map((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v)).filter(isResolved);
  const requestValues = context.get(test.key.toLowerCase());
  if (operator.isNull) {
    return policyValues.some((p) => (p.toLowerCase() === 'true' ? requestValues === undefined : p.toLowerCase() === 'false' && requestValues !== undefined));
  }
  if (requestValues === undefined) return whenAbsent(operator);
  const base = operator.base!;
  const matchesAny = (v: string) => policyValues.some((p) => base.compare(v, p));
  const holds = (v: string) => (base.negated ? !matchesAny(v) : matchesAny(v));
  switch (operator.setOperator) {
    case 'ForAllValues': return requestValues.every(holds);
    case 'ForAnyValue': return requestValues.some(holds);
    default: return base.negated ? !requestValues.some(matchesAny) : requestValues.some(matchesAny);
  }
}

/**
 * An absent key: `...IfExists` holds; ForAllValues holds (vacuously), ForAnyValue does not;
 * negated operators hold and the others do not.
 */
function whenAbsent(operator: ConditionOperator): boolean {
  if (operator.ifExists || operator.setOperator === 'ForAllValues') return true;
  if (operator.setOperator === 'ForAnyValue') return false;
  return operator.base!.negated;
}
