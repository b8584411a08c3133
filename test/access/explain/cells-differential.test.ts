/**
 * The access-matrix cells against @cloud-copilot/iam-simulate (AGPL, test-only reference), cell for
 * cell, over generated key policies and IAM policies: a cell shown `allowed` must be Allowed by
 * iam-simulate for its actions whatever the request context; a cell shown `denied` must be Allowed
 * for none of them (conditional and partial cells depend on the context, so only their share is
 * checked). Each cell is checked on one of its actions and one request context, both drawn by the
 * seeded generator, which keeps the test to seconds (iam-simulate takes ~2 ms a request).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parseCaller } from '../../../src/access/evaluator';
import { analyseCell, CAPABILITIES } from '../../../src/access/explain';
import { CALLERS, Gen, identityPolicies, isServicePrincipal, KEY_ACCOUNT, KEY_ARN, keyPolicy, request } from '../evaluator/random-policies';

const SEED = 8675309;
const MATRICES = 60;

interface ReferenceCase {
  readonly keyPolicy: object;
  readonly identityPolicies: object[];
  readonly principal: string;
  readonly action: string;
  readonly context: Record<string, unknown>;
}

async function allowedByReference(c: ReferenceCase) {
  const result = await runSimulation(
    {
      request: {
        principal: c.principal,
        action: c.action,
        resource: { resource: KEY_ARN, accountId: KEY_ACCOUNT },
        contextVariables: Object.fromEntries(Object.entries(c.context).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)])),
      },
      identityPolicies: c.identityPolicies.map((policy, i) => ({ name: `identity${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: c.keyPolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate rejected a case: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed';
}

test(`access-matrix cells agree with iam-simulate over ${MATRICES} generated matrices`, async () => {
  const disagreements: string[] = [];
  const statuses: Record<string, number> = {};
  for (let m = 0; m < MATRICES; m++) {
    const gen = new Gen(SEED + m);
    const policy = keyPolicy(gen);
    const generatedIamPolicies = identityPolicies(gen);
    for (const principal of CALLERS) {
      const iamPolicies = isServicePrincipal(principal) ? [] : generatedIamPolicies;
      for (const capability of CAPABILITIES) {
        const actions = capability.actions(true);
        const caller = parseCaller(principal);
        const cell = analyseCell({ keyPolicy: policy, identityPolicies: iamPolicies, caller, keyArn: KEY_ARN, keyAccount: KEY_ACCOUNT }, actions);
        statuses[cell.status] = (statuses[cell.status] ?? 0) + 1;
        if (cell.status !== 'allowed' && cell.status !== 'denied') continue;
        const context = { ...request(gen).context };
        const action = gen.pick(actions);
        const allowed = await allowedByReference({ keyPolicy: policy, identityPolicies: iamPolicies, principal, action, context });
        if (allowed !== (cell.status === 'allowed')) {
          disagreements.push(`matrix ${m}, ${principal}, ${capability.id} shown ${cell.status}, iam-simulate ${allowed ? 'allows' : 'denies'} ${action} with ${JSON.stringify(context)}\n${JSON.stringify({ policy, iamPolicies })}`);
        }
      }
    }
  }
  expect(disagreements.slice(0, 3)).toEqual([]);
  // Every kind of cell must occur, or the agreement proves little.
  expect(statuses.allowed).toBeGreaterThan(20);
  expect(statuses.denied).toBeGreaterThan(200);
  expect(statuses.conditional).toBeGreaterThan(20);
  expect(statuses.partial).toBeGreaterThan(20);
});
