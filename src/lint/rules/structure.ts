/**
 * Rules about the shape of the key policy: statements that never take effect (KMS8), the
 * policy size limit (KMS9) and parts no rule can judge offline (KMS14).
 */
import { KEY_POLICY_MAX_BYTES, keyPolicySize } from '../../key/policy-size';
import { LintSeverity } from '../finding';
import { KEY_TYPES, Rule, statementViolation } from '../rule';
import { isOpaque, statementResources } from '../template';

export const statementResource: Rule = {
  id: 'KMS8',
  name: 'statement-resource',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'In a key policy the Resource must be "*" (this key): a statement without a Resource, with NotResource or with another Resource never takes effect.',
  fix: 'Set "Resource": "*" in every key-policy statement.',
  check: ({ statements }) => statements.flatMap(({ statement, index }) => {
    const { resources, not } = statementResources(statement);
    if (not) return [statementViolation(statement, index, 'uses NotResource: use "Resource": "*"')];
    if (resources.length === 0) return [statementViolation(statement, index, 'has no Resource and never takes effect')];
    if (resources.some((resource) => resource === '*' || isOpaque(resource))) return [];
    return [statementViolation(statement, index, `has Resource ${resources.join(', ')} instead of "*" and never takes effect`)];
  }),
};

/** Over this many bytes a policy is close to the limit. */
const KEY_POLICY_WARN_BYTES = 28 * 1024;

export const policySize: Rule = {
  id: 'KMS9',
  name: 'policy-size',
  severity: LintSeverity.ERROR,
  alsoWarns: true,
  resourceTypes: KEY_TYPES,
  description: 'A key policy over 32 KB fails to deploy; over 28 KB leaves little room for the next statement.',
  fix: 'Merge statements that grant the same actions, or move users to IAM policies or grants.',
  check: ({ resource }) => {
    const policy = resource.Properties?.KeyPolicy;
    if (policy === undefined) return [];
    const size = typeof policy === 'string' ? Buffer.byteLength(policy, 'utf8') : keyPolicySize(policy);
    if (size > KEY_POLICY_MAX_BYTES) {
      return [{ message: `the key policy is about ${size} bytes, over the 32 KB (${KEY_POLICY_MAX_BYTES} bytes) limit`, location: 'Properties.KeyPolicy' }];
    }
    if (size > KEY_POLICY_WARN_BYTES) {
      return [{ message: `the key policy is about ${size} bytes, close to the 32 KB limit`, severity: LintSeverity.WARNING, location: 'Properties.KeyPolicy' }];
    }
    return [];
  },
};

export const unresolvedPolicy: Rule = {
  id: 'KMS14',
  name: 'unresolved-policy',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'Part of the key policy (all of it, a statement, or a statement\'s Effect, Action or Condition) is only known at deploy time (Fn::ImportValue, Fn::GetAtt, a parameter without a default, a JSON string that does not parse), so no rule can judge what it allows.',
  fix: 'Write the key policy in the template (Fn::If is fine: each branch is judged), or give the parameter a default that lint can check.',
  check: ({ unresolved }) => unresolved.map((part) => ({ message: `${part} cannot be resolved offline, so it was not checked`, location: 'Properties.KeyPolicy' })),
};
