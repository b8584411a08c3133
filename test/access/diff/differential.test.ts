/**
 * The diff's access verdicts against @cloud-copilot/iam-simulate (AGPL, test-only reference): over
 * generated BASE key policies and HEAD policies derived from them (a statement added, removed, or
 * stripped of its conditions), every decisive reported change is checked on one of its actions
 * under a generated request context: `access-gained` into an unconditional cell must be denied by
 * BASE and allowed by HEAD, `access-lost` from an unconditional cell the reverse. And the other
 * way round: when iam-simulate finds a request BASE denies and HEAD allows, the diff reports more
 * access for that capability (it never answers "no new access" to new access).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Change, diffTemplates } from '../../../src/access/diff';
import { PolicyDocument } from '../../../src/access/evaluator';
import { CAPABILITIES } from '../../../src/access/explain';
import { CALLERS, Gen, KEY_ACCOUNT, KEY_ARN, keyPolicy, request } from '../evaluator/random-policies';

const SEED = 20261205;
const PAIRS = 120;
const REQUESTS_PER_PAIR = 8;
const REGION = 'us-east-1';
/** The ARN explain gives the key of stack App, logical id Key, once its account and Region are known. */
const DIFF_KEY_ARN = `arn:aws:kms:${REGION}:${KEY_ACCOUNT}:key/App-Key`;

/** The generated policies name KEY_ARN: name the key as the diff does. */
function forDiff(policy: PolicyDocument): PolicyDocument {
  return JSON.parse(JSON.stringify(policy).split(KEY_ARN).join(DIFF_KEY_ARN));
}

function mutate(gen: Gen, base: PolicyDocument): PolicyDocument {
  const statements = [...(base.Statement as object[])].map((s) => ({ ...s }) as Record<string, unknown>);
  const r = gen.int(0, 2);
  if (r === 0 || statements.length === 1) statements.push(...(keyPolicy(gen).Statement as Record<string, unknown>[]).slice(0, 1));
  else if (r === 1) statements.splice(gen.int(0, statements.length - 1), 1);
  else delete statements[gen.int(0, statements.length - 1)].Condition;
  return { Version: '2012-10-17', Statement: statements };
}

/** The caller a row stands for, when it is one principal the simulator can play. */
function callerOf(principal: string): string | undefined {
  if (principal.startsWith('service ')) return principal.slice('service '.length).replace('${AWS::Region}', REGION);
  return /^arn:aws:iam::\d{12}:(role|user)\//.test(principal) ? principal : undefined;
}

async function allowed(policy: PolicyDocument, principal: string, action: string, context: Record<string, unknown>): Promise<boolean> {
  // explain assumes another account's IAM policies allow what its key policy grants: so does this.
  const otherAccount = principal.startsWith('arn:') && !principal.includes(`::${KEY_ACCOUNT}:`);
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: DIFF_KEY_ARN, accountId: KEY_ACCOUNT },
        contextVariables: Object.fromEntries(Object.entries(context).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)])),
      },
      identityPolicies: otherAccount ? [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate rejected a case: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed';
}

/** A change whose cells say the same for every request context. */
function decisive(change: Change): boolean {
  if (change.kind === 'access-gained') return change.after?.conditions.length === 0;
  if (change.kind === 'access-lost') return change.before?.conditions.length === 0;
  return false;
}

test(`diff verdicts agree with iam-simulate over ${PAIRS} generated BASE/HEAD policy pairs`, async () => {
  const disagreements: string[] = [];
  const checked: Record<string, number> = {};
  for (let p = 0; p < PAIRS; p++) {
    const gen = new Gen(SEED + p);
    const base = forDiff(keyPolicy(gen));
    const head = mutate(gen, base);
    const side = (policy: PolicyDocument) => [{
      stackName: 'App',
      account: KEY_ACCOUNT,
      region: REGION,
      template: { Resources: { Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, KeyPolicy: policy } } } },
    }];
    const changes = diffTemplates(side(base), side(head)).keys.flatMap((key) => key.changes);
    for (const change of changes.filter(decisive)) {
      const caller = callerOf(change.principal!);
      if (!caller) continue;
      const action = gen.pick(change.actions!);
      const context = { ...request(gen).context };
      const [before, after] = [await allowed(base, caller, action, context), await allowed(head, caller, action, context)];
      const expected = change.kind === 'access-gained' ? [false, true] : [true, false];
      checked[change.kind] = (checked[change.kind] ?? 0) + 1;
      if (before !== expected[0] || after !== expected[1]) {
        disagreements.push(`pair ${p}: diff says ${change.summary}; iam-simulate: ${action} by ${caller} ${before ? 'allowed' : 'denied'} → ${after ? 'allowed' : 'denied'} with ${JSON.stringify(context)}\n${JSON.stringify({ base, head })}`);
      }
    }
    // Never silent about new access: a request that only HEAD allows shows as more access.
    for (let r = 0; r < REQUESTS_PER_PAIR; r++) {
      const { action, context = {} } = request(gen);
      const caller = gen.pick(CALLERS);
      // The generated key is a symmetric encryption key: KMS refuses MAC, signing and key agreement on it.
      const capability = CAPABILITIES.find((c) => (!c.usages || c.usages.includes('ENCRYPT_DECRYPT')) && c.actions(true).includes(action));
      if (!capability || (await allowed(base, caller, action, context)) || !(await allowed(head, caller, action, context))) continue;
      checked.newlyAllowed = (checked.newlyAllowed ?? 0) + 1;
      if (!changes.some((c) => c.effect === 'more-access' && c.capability === capability.id)) {
        disagreements.push(`pair ${p}: iam-simulate: HEAD newly allows ${action} by ${caller} with ${JSON.stringify(context)}, the diff reports no more ${capability.id}\n${JSON.stringify({ base, head })}`);
      }
    }
  }
  expect(disagreements.slice(0, 3)).toEqual([]);
  // Both kinds must occur often enough for the agreement to mean something.
  expect(checked['access-gained']).toBeGreaterThan(20);
  expect(checked['access-lost']).toBeGreaterThan(20);
  expect(checked.newlyAllowed).toBeGreaterThan(20);
});
