/**
 * The compatibility matrix as a test: every built row of cases.ts, in both postures, synthesized
 * and validated (synthTemplate), then judged by iam-simulate (our evaluator where the service sends
 * an encryption context, which iam-simulate drops): the grantee can do what the service needs, an
 * unrelated role cannot, and in STRICT an identity policy made outside the app gives nothing. Every
 * service-principal statement carries a confused-deputy condition, no statement holds a wildcard
 * action (except the IAM_DELEGATED root statement), and our lint rules accept the key.
 *
 * Run against the newest aws-cdk-lib 2.x with `npx projen test:compat-latest`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CASES, GrantCheck } from './cases';
import { buildRow, BuiltRow, matrixMarkdown, POSTURES } from './matrix';
import { KeyPolicyPosture } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { LintSeverity } from '../../src/lint/finding';
import { lintTemplate } from '../../src/lint/lint';
import { FAKE_ENV, KeyAccess, logicalIdOf, simulateKeyRequest } from '../support/iam';
import { synthTemplate } from '../support/template';

const BUILT = CASES.filter((row) => row.build);
const CONSOLE_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };
const asList = (value: unknown): any[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe.each(POSTURES)('%s', (posture) => {
  describe.each(BUILT.map((row) => [row.construct, row] as const))('%s', (_name, row) => {
    if (posture === KeyPolicyPosture.STRICT && row.strictRefusal) {
      test(`is refused at synth: ${row.strictRefusal.why}`, () => {
        expect(() => synthTemplate(buildRow(row, posture).stack)).toThrow(row.strictRefusal!.error);
      });
      return;
    }

    // Built once per row and posture; a build or synth error fails every test of the row with its message.
    let built: BuiltRow;
    try {
      built = buildRow(row, posture);
    } catch (error) {
      test('builds', () => { throw error; });
      return;
    }
    let synthesized: { template: ReturnType<typeof synthTemplate>; access: KeyAccess; statements: any[] } | undefined;
    const synth = () => {
      if (!synthesized) {
        // With allowAdministratorAsUser the deployer uses the key through the service: KMS3 says so, on purpose.
        const acceptLintFindings = row.strictKeyProps?.allowAdministratorAsUser && posture === KeyPolicyPosture.STRICT ? ['KMS3'] : [];
        const template = synthTemplate(built.stack, { acceptLintFindings });
        const access = KeyAccess.of(template, built.key);
        synthesized = { template, access, statements: asList((access.keyPolicy as any).Statement) };
      }
      return synthesized;
    };
    const { key, unrelated } = built;

    const decide = async (principal: GrantCheck['grantee'], action: string, unresolved: GrantCheck) => {
      const { access } = synth();
      // Context values may be tokens of the stack (a topic's ARN): resolve them as the template does.
      const concrete = (values?: Record<string, string>) => values && access.resolve(built.stack.resolve(values));
      const check = { ...unresolved, context: concrete(unresolved.context), encryptionContext: concrete(unresolved.encryptionContext) };
      if (check.encryptionContext) {
        const principalArn = access.principalArn(principal);
        return evaluateKeyAccess({
          keyPolicy: access.keyPolicy,
          identityPolicies: access.identityPolicies(principal).map((p) => p.policy),
          request: { principal: principalArn, action, keyArn: access.keyArn, context: check.context, encryptionContext: check.encryptionContext },
        }).decision === 'Allow' ? 'Allowed' : 'Denied';
      }
      return (await access.canDo(principal, action, check.context)) === 'Allowed' ? 'Allowed' : 'Denied';
    };

    if (built.built.checks.length > 0) {
      test.each(built.built.checks.map((check) => [check.grant, check] as const))('%s: the grantee can do what the service needs; an unrelated role cannot', async (_grant, check) => {
        for (const action of check.actions) {
          expect({ action, decision: await decide(check.grantee, action, check) }).toEqual({ action, decision: 'Allowed' });
          if (typeof check.grantee !== 'string') {
            expect({ action, unrelated: await decide(unrelated, action, check) }).toEqual({ action, unrelated: 'Denied' });
          }
        }
      });
    }

    if (posture === KeyPolicyPosture.STRICT) {
      test('an identity policy made outside the app gives nothing', async () => {
        const { access } = synth();
        for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:CreateGrant', 'kms:Sign']) {
          const outcome = await simulateKeyRequest({
            keyPolicy: access.keyPolicy,
            identityPolicies: [{ name: 'console', policy: CONSOLE_POLICY }],
            principalArn: `arn:aws:iam::${FAKE_ENV.account}:role/IamOnly`,
            action,
            keyArn: access.keyArn,
            context: { 'kms:ViaService': `dynamodb.${FAKE_ENV.region}.${FAKE_ENV.urlSuffix}` },
          });
          expect({ action, decision: outcome.decision }).not.toEqual({ action, decision: 'Allowed' });
        }
      });
    }

    test('service principals carry a confused-deputy condition; no wildcard actions', () => {
      for (const statement of synth().statements) {
        const services = asList(statement.Principal?.Service);
        if (statement.Effect === 'Allow' && services.length > 0) {
          const keys = Object.values(statement.Condition ?? {}).flatMap((block: any) => Object.keys(block).map((k) => k.toLowerCase()));
          expect({ services, guarded: keys.some((k) => k === 'aws:sourceaccount' || k === 'aws:sourcearn') }).toEqual({ services, guarded: true });
        }
        if (statement.Sid !== 'AccountRootDelegatesToIam') {
          expect(asList(statement.Action).filter((a: string) => /[*?]/.test(a))).toEqual([]);
        }
      }
    });

    test('our lint rules accept the key', () => {
      const keyId = logicalIdOf(key);
      const accepted = new Set(row.strictKeyProps?.allowAdministratorAsUser && posture === KeyPolicyPosture.STRICT ? ['KMS3'] : []);
      const findings = lintTemplate(synth().template.toJSON())
        .filter((f) => f.logicalId === keyId && f.severity === LintSeverity.ERROR && !accepted.has(f.ruleId));
      expect(findings.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
    });
  });
});

test('the README shows the matrix as generated from cases.ts', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  expect(readme).toContain(matrixMarkdown());
});
