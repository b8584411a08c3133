/**
 * Differential test: our evaluator and @cloud-copilot/iam-simulate (AGPL, test-only reference) must
 * reach the same decision on every one of N generated key policies + IAM policies + requests.
 * A failure prints the seed and case index; re-run one case with DIFF_CASE=<index>.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Gen, identityPolicies, isServicePrincipal, KEY_ACCOUNT, keyPolicy, request } from './random-policies';
import { Decision, evaluateKeyAccess, KeyRequest, PolicyDocument } from '../../../src/access/evaluator';

const SEED = 20261123;
const CASES = 1500;

interface Case {
  readonly index: number;
  readonly keyPolicy: PolicyDocument;
  readonly identityPolicies: PolicyDocument[];
  readonly request: KeyRequest;
}

function generate(index: number): Case {
  const gen = new Gen(SEED * 7919 + index);
  const c = { index, keyPolicy: keyPolicy(gen), identityPolicies: identityPolicies(gen), request: request(gen) };
  // Service principals have no identity policies.
  return isServicePrincipal(c.request.principal) ? { ...c, identityPolicies: [] } : c;
}

const REFERENCE_DECISION: Record<string, Decision> = {
  Allowed: 'Allow',
  ImplicitlyDenied: 'ImplicitDeny',
  ExplicitlyDenied: 'ExplicitDeny',
};

async function referenceDecision(c: Case): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: c.request.principal,
        action: c.request.action,
        resource: { resource: c.request.keyArn, accountId: KEY_ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(c.request.context ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
        ),
      },
      identityPolicies: c.identityPolicies.map((policy, i) => ({ name: `identity${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: c.keyPolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate rejected case ${c.index}: ${JSON.stringify(result.errors)}`);
  return REFERENCE_DECISION[result.overallResult];
}

test(`our evaluator agrees with iam-simulate on ${CASES} generated key policies and requests`, async () => {
  const only = process.env.DIFF_CASE;
  const indexes = only ? [Number(only)] : Array.from({ length: CASES }, (_, i) => i);
  const disagreements: string[] = [];
  const decisions: Record<string, number> = {};
  for (const index of indexes) {
    const c = generate(index);
    const ours = evaluateKeyAccess({ keyPolicy: c.keyPolicy, identityPolicies: c.identityPolicies, request: c.request }).decision;
    const reference = await referenceDecision(c);
    decisions[reference] = (decisions[reference] ?? 0) + 1;
    if (ours !== reference) {
      disagreements.push(`case ${index}: ours ${ours}, iam-simulate ${reference}\n${JSON.stringify(c, null, 1)}`);
    }
  }
  expect(disagreements.slice(0, 3)).toEqual([]);
  // The generator must exercise every outcome, or the agreement proves little.
  if (!only) {
    expect(decisions.Allow).toBeGreaterThan(CASES * 0.1);
    expect(decisions.ExplicitDeny).toBeGreaterThan(CASES * 0.1);
    expect(decisions.ImplicitDeny).toBeGreaterThan(CASES * 0.1);
  }
});
