/**
 * The library never synthesizes a key policy that its own lint rules reject: ManagedKey runs the
 * key-policy rules over the policy it is about to write and turns every error into a synth error.
 * How it covers the class: it judges the finished policy, so every way a statement gets in (users,
 * administrators, the policy manager, grants, `addToResourcePolicy`, statements aws-cdk-lib adds)
 * is judged by the same functions as `cdk-kms-patterns lint`, the cdk-nag pack and the validator.
 */
import { LintSeverity } from '../lint/finding';
import { lintResource } from '../lint/lint';
import { KMS_KEY } from '../lint/rule';
import { RULES } from '../lint/rules';

/**
 * Rules about the key policy itself. KMS4 (rotation) and KMS11 (deletion) judge properties the
 * user chose explicitly; KMS9 (size) has its own, more precise check in ManagedKey.
 */
const POLICY_RULE_IDS: ReadonlySet<string> = new Set(['KMS1', 'KMS2', 'KMS3', 'KMS6', 'KMS7', 'KMS8', 'KMS10']);

/**
 * The error-level findings of the key-policy rules on a resolved key policy, as sentences with
 * the rule's fix. `acceptedRules` are rule ids the user opted out of (KMS3 with allowAdministratorAsUser).
 */
export function policyLintProblems(resolvedPolicy: unknown, acceptedRules: readonly string[] = []): string[] {
  const rules = RULES.filter((rule) => POLICY_RULE_IDS.has(rule.id) && !acceptedRules.includes(rule.id));
  return lintResource('Key', { Type: KMS_KEY, Properties: { KeyPolicy: resolvedPolicy } }, {}, rules)
    .filter((finding) => finding.severity === LintSeverity.ERROR)
    .map((finding) => `the key policy fails lint rule ${finding.ruleId}: ${finding.message}. Fix: ${finding.fix}`);
}
