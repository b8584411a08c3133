/**
 * Condition blocks for key-policy statements. A condition block maps an operator
 * (`StringEquals`, `Null`, ...) to a map of condition keys and values, as IAM writes it.
 */
export type ConditionBlock = Record<string, Record<string, any>>;

/** Exact encryption-context pairs: every pair must be present with exactly this value. */
export function encryptionContextEquals(context: Record<string, string>): ConditionBlock {
  const entries = Object.entries(context);
  if (entries.length === 0) return {};
  return { StringEquals: Object.fromEntries(entries.map(([k, v]) => [`kms:EncryptionContext:${k}`, v])) };
}

/** Each key must be present in the encryption context, with any value. */
export function encryptionContextKeysRequired(keys: string[]): ConditionBlock {
  if (keys.length === 0) return {};
  return { Null: Object.fromEntries(keys.map((k) => [`kms:EncryptionContext:${k}`, 'false'])) };
}

/**
 * No key outside this list may appear in the encryption context. `ForAllValues` alone also matches
 * a request with no context at all, so the `Null` check makes a context mandatory.
 */
export function encryptionContextKeysOnly(keys: string[]): ConditionBlock {
  if (keys.length === 0) return {};
  return {
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...keys] },
    'Null': { 'kms:EncryptionContextKeys': 'false' },
  };
}

/** Only requests made through these AWS service endpoints. */
export function viaServices(endpoints: string[]): ConditionBlock {
  return endpoints.length === 0 ? {} : { StringEquals: { 'kms:ViaService': endpoints.length === 1 ? endpoints[0] : endpoints } };
}

/** Only callers from this account. */
export function callerAccount(account: string): ConditionBlock {
  return { StringEquals: { 'kms:CallerAccount': account } };
}

/** Only principals of this AWS Organization. */
export function principalOrgId(orgId: string): ConditionBlock {
  return { StringEquals: { 'aws:PrincipalOrgID': orgId } };
}

/** Grants only for AWS resources (an AWS service creates the grant on the caller's behalf). */
export function grantIsForAwsResource(): ConditionBlock {
  return { Bool: { 'kms:GrantIsForAWSResource': 'true' } };
}

/** Confused-deputy protection for service principals. */
export function sourceAccount(account: string): ConditionBlock {
  return { StringEquals: { 'aws:SourceAccount': account } };
}

/** Confused-deputy protection for service principals, pinned to one resource (wildcards allowed). */
export function sourceArn(arn: string): ConditionBlock {
  return { ArnLike: { 'aws:SourceArn': arn } };
}

/**
 * Merges condition blocks into one. The same key under the same operator twice is a programming
 * error of the caller (it would silently drop one value), so it throws.
 */
export function mergeConditions(...blocks: ConditionBlock[]): ConditionBlock {
  const merged: ConditionBlock = {};
  for (const block of blocks) {
    for (const [operator, keys] of Object.entries(block)) {
      const target = Object.hasOwn(merged, operator) ? merged[operator] : (merged[operator] = {});
      for (const [key, value] of Object.entries(keys)) {
        if (Object.hasOwn(target, key)) {
          throw new Error(`Condition key '${key}' is set twice under '${operator}'`);
        }
        target[key] = value;
      }
    }
  }
  return merged;
}

/**
 * Condition keys set under the same operator in both blocks with different values, as
 * `Operator key` strings. aws-cdk-lib merges such blocks silently, one value replacing the other,
 * so a caller would lose a condition it asked for.
 */
export function conditionConflicts(a: ConditionBlock, b: ConditionBlock): string[] {
  const conflicts: string[] = [];
  for (const [operator, keys] of Object.entries(a)) {
    if (!Object.hasOwn(b, operator)) continue;
    for (const [key, value] of Object.entries(keys)) {
      if (Object.hasOwn(b[operator], key) && JSON.stringify(b[operator][key]) !== JSON.stringify(value)) conflicts.push(`${operator} ${key}`);
    }
  }
  return conflicts;
}
