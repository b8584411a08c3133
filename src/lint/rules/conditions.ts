/**
 * KMS7: `ForAllValues` on an encryption-context key inside an Allow also matches a request with
 * no encryption context at all, unless the statement requires a context to exist.
 */
import { LintSeverity } from '../finding';
import { KEY_TYPES, Rule, checkAllowStatements, isFalse } from '../rule';
import { ConditionEntry, conditionEntries } from '../template';

function isEncryptionContextKey(key: string): boolean {
  return key.toLowerCase().startsWith('kms:encryptioncontext');
}

/** `Null: {"kms:EncryptionContextKeys": "false"}` (or a required `kms:EncryptionContext:<k>`). */
function requiresContext(entries: ConditionEntry[]): boolean {
  return entries.some((entry) => entry.baseOperator === 'Null' && !entry.qualifier
    && isEncryptionContextKey(entry.key) && entry.values.length > 0 && entry.values.every(isFalse));
}

export const forAllValuesWithoutContext: Rule = {
  id: 'KMS7',
  name: 'for-all-values-encryption-context',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'ForAllValues with an encryption-context condition in an Allow also matches requests that carry no encryption context at all.',
  fix: 'Add "Null": {"kms:EncryptionContextKeys": "false"} to the same statement, or use StringEquals on kms:EncryptionContext:<key>.',
  check: ({ statements }) => checkAllowStatements(statements, (statement) => {
    const entries = conditionEntries(statement);
    const loose = entries.filter((entry) => entry.qualifier === 'ForAllValues' && isEncryptionContextKey(entry.key));
    if (loose.length === 0 || requiresContext(entries)) return undefined;
    return `uses ${loose[0].operator} on ${loose[0].key} without requiring an encryption context (also matches requests with none)`;
  }),
};
