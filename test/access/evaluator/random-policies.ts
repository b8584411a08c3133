/**
 * Seeded generator of random key policies, IAM policies and requests for the differential test.
 * Every case is reproducible from (seed, index).
 */
import { ContextValue, KeyRequest, PolicyDocument } from '../../../src/access/evaluator';

export const KEY_ACCOUNT = '111111111111';
export const OTHER_ACCOUNT = '222222222222';
export const KEY_ARN = `arn:aws:kms:us-east-1:${KEY_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** mulberry32: small, fast, good enough to explore policy space. */
/* eslint-disable no-bitwise */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

export class Gen {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = prng(seed);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
  some<T>(items: readonly T[], min = 1, max = 3): T[] {
    const count = this.int(min, Math.min(max, items.length));
    const pool = [...items];
    const result: T[] = [];
    while (result.length < count) result.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]);
    return result;
  }
}

const ROLE_APP = `arn:aws:iam::${KEY_ACCOUNT}:role/app`;
const ROLE_ADMIN = `arn:aws:iam::${KEY_ACCOUNT}:role/admin`;
const USER_ALICE = `arn:aws:iam::${KEY_ACCOUNT}:user/alice`;
const ROOT = `arn:aws:iam::${KEY_ACCOUNT}:root`;
const OTHER_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/partner`;
const OTHER_ROOT = `arn:aws:iam::${OTHER_ACCOUNT}:root`;
const LOGS = 'logs.us-east-1.amazonaws.com';

export function isServicePrincipal(principal: string): boolean {
  return !principal.startsWith('arn:');
}

/**
 * Callers of generated requests. Account roots are not callers here: iam-simulate gives the root user
 * no implicit identity permissions, whereas AWS lets the root user do whatever the key policy allows
 * its account (checked by hand in evaluator.test.ts).
 */
export const CALLERS = [ROLE_APP, ROLE_ADMIN, USER_ALICE, OTHER_ROLE, LOGS];
const PRINCIPAL_ENTRIES = [ROLE_APP, ROLE_ADMIN, USER_ALICE, ROOT, KEY_ACCOUNT, OTHER_ROLE, OTHER_ROOT, OTHER_ACCOUNT];

/** Actions that take an encryption context (so kms:EncryptionContextKeys is a valid key for them). */
const CRYPTO_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom'];
const OTHER_ACTIONS = ['kms:DescribeKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:Sign', 'kms:GenerateMac', 'kms:ListGrants'];
export const ACTIONS = [...CRYPTO_ACTIONS, ...OTHER_ACTIONS];
const ACTION_PATTERNS = [...ACTIONS, 'kms:*', '*', 'kms:Gen*', 'kms:*Key', 'kms:De?rypt', 'KMS:decrypt', 'kms:ENCRYPT', 'kms:*Key*', 'kms:Re*'];
const RESOURCES = ['*', KEY_ARN, `arn:aws:kms:*:${KEY_ACCOUNT}:key/*`, `arn:aws:kms:us-west-2:${KEY_ACCOUNT}:key/*`];

interface KeyKind {
  readonly key: string;
  readonly operators: readonly string[];
  readonly policyValues: readonly string[];
  readonly requestValues: readonly (string | string[])[];
  readonly multiValued?: boolean;
}

// Encryption-context keys (kms:EncryptionContext:<key>) are deliberately absent: iam-simulate
// ignores them (its variable-key matching expects `/`), so those conditions are checked by hand
// against the KMS developer guide in encryption-context.test.ts instead.
const KEY_KINDS: readonly KeyKind[] = [
  {
    key: 'aws:PrincipalTag/team',
    operators: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'],
    policyValues: ['payments', 'Payments', 'pay*', 'ops', 'o?s', '*'],
    requestValues: ['payments', 'PAYMENTS', 'ops', 'research'],
  },
  {
    key: 'kms:ViaService',
    operators: ['StringEquals', 'StringLike', 'StringNotEquals'],
    policyValues: ['dynamodb.us-east-1.amazonaws.com', 's3.*.amazonaws.com', 's3.us-east-1.amazonaws.com'],
    requestValues: ['dynamodb.us-east-1.amazonaws.com', 's3.us-east-1.amazonaws.com', 'sqs.us-east-1.amazonaws.com'],
  },
  {
    key: 'kms:CallerAccount',
    operators: ['StringEquals', 'StringNotEquals'],
    policyValues: [KEY_ACCOUNT, OTHER_ACCOUNT],
    requestValues: [KEY_ACCOUNT, OTHER_ACCOUNT],
  },
  {
    key: 'aws:PrincipalOrgID',
    operators: ['StringEquals', 'StringNotEquals', 'StringLike'],
    policyValues: ['o-abc123', 'o-*'],
    requestValues: ['o-abc123', 'o-zzz999'],
  },
  {
    key: 'aws:PrincipalArn',
    operators: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'],
    policyValues: [ROLE_APP, `arn:aws:iam::${KEY_ACCOUNT}:role/*`, 'arn:aws:iam::*:role/partner', `arn:aws:iam::${KEY_ACCOUNT}:*`],
    requestValues: [ROLE_APP, ROLE_ADMIN, OTHER_ROLE, USER_ALICE],
  },
  {
    key: 'aws:SourceAccount',
    operators: ['StringEquals', 'StringNotEquals'],
    policyValues: [KEY_ACCOUNT, OTHER_ACCOUNT],
    requestValues: [KEY_ACCOUNT, OTHER_ACCOUNT],
  },
  {
    key: 'aws:SourceArn',
    operators: ['ArnLike', 'ArnEquals', 'ArnNotLike'],
    policyValues: [`arn:aws:logs:us-east-1:${KEY_ACCOUNT}:log-group:*`, `arn:aws:logs:*:${KEY_ACCOUNT}:*`, 'arn:aws:logs:us-east-1:*:log-group:app'],
    requestValues: [`arn:aws:logs:us-east-1:${KEY_ACCOUNT}:log-group:app`, `arn:aws:logs:eu-west-1:${OTHER_ACCOUNT}:log-group:x`],
  },
  {
    key: 'aws:SecureTransport',
    operators: ['Bool'],
    policyValues: ['true', 'false'],
    requestValues: ['true', 'false'],
  },
  {
    key: 'aws:MultiFactorAuthAge',
    operators: ['NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'NumericEquals', 'NumericNotEquals'],
    policyValues: ['300', '3600', '0'],
    requestValues: ['0', '300', '1200', '86400'],
  },
  {
    key: 'aws:CurrentTime',
    operators: ['DateLessThan', 'DateGreaterThan', 'DateEquals', 'DateNotEquals', 'DateLessThanEquals', 'DateGreaterThanEquals'],
    policyValues: ['2026-01-01T00:00:00Z', '2026-06-30T12:00:00Z', '2030-01-01T00:00:00Z'],
    requestValues: ['2025-12-31T23:59:59Z', '2026-06-30T12:00:00Z', '2027-03-01T08:00:00Z'],
  },
  {
    key: 'aws:SourceIp',
    operators: ['IpAddress', 'NotIpAddress'],
    policyValues: ['10.0.0.0/8', '192.168.1.0/24', '203.0.113.7/32', '172.16.0.0/12'],
    requestValues: ['10.1.2.3', '192.168.1.77', '192.168.2.1', '203.0.113.7', '172.31.255.255'],
  },
  {
    key: 'aws:TagKeys',
    operators: ['StringEquals', 'StringLike', 'StringNotEquals'],
    policyValues: ['team', 'cost-center', 'env', 'c*'],
    requestValues: [['team'], ['team', 'env'], ['cost-center', 'owner'], ['env', 'owner', 'team']],
    multiValued: true,
  },
  {
    key: 'kms:EncryptionContextKeys',
    operators: ['StringEquals', 'StringLike', 'StringNotEquals'],
    policyValues: ['tenant', 'table', 'aws:dynamodb:*', 't*'],
    requestValues: [['tenant'], ['tenant', 'table'], ['aws:dynamodb:tableName', 'tenant'], ['other']],
    multiValued: true,
  },
];

function conditionKind(gen: Gen, cryptoOnly: boolean): KeyKind {
  const kinds = cryptoOnly ? KEY_KINDS : KEY_KINDS.filter((k) => k.key !== 'kms:EncryptionContextKeys');
  return gen.pick(kinds);
}

function condition(gen: Gen, cryptoOnly: boolean): Record<string, Record<string, string | string[]>> {
  const result: Record<string, Record<string, string | string[]>> = {};
  for (let i = gen.int(1, 2); i > 0; i--) {
    const kind = conditionKind(gen, cryptoOnly);
    let operator = gen.pick(kind.operators);
    if (gen.chance(0.15)) {
      operator = 'Null';
    } else {
      const setOperator = kind.multiValued || gen.chance(0.1) ? gen.pick(['ForAnyValue', 'ForAllValues']) : undefined;
      // ForAnyValue with IfExists is left out: the IAM guide says an ...IfExists condition holds when
      // the key is absent, iam-simulate says ForAnyValue never does (checked by hand in conditions.test.ts).
      if (gen.chance(0.2) && setOperator !== 'ForAnyValue') operator += 'IfExists';
      if (setOperator) operator = `${setOperator}:${operator}`;
    }
    const values = operator === 'Null' ? [gen.pick(['true', 'false'])] : gen.some(kind.policyValues, 1, 2);
    result[operator] = { ...result[operator], [kind.key]: values.length === 1 ? values[0] : values };
  }
  return result;
}

function principalElement(gen: Gen): unknown {
  const r = gen.int(0, 9);
  if (r === 0) return '*';
  if (r === 1) return { AWS: '*' };
  if (r === 2) return { Service: LOGS };
  const entries = gen.some(PRINCIPAL_ENTRIES, 1, 3);
  return r === 3 ? { AWS: entries, Service: [LOGS] } : { AWS: entries.length === 1 ? entries[0] : entries };
}

function actionElement(gen: Gen): string | string[] {
  const actions = gen.some(ACTION_PATTERNS, 1, 3);
  return actions.length === 1 ? actions[0] : actions;
}

/** Only actions that take an encryption context may carry kms:EncryptionContextKeys conditions. */
function statementBase(gen: Gen, effect: 'Allow' | 'Deny'): Record<string, unknown> {
  const statement: Record<string, unknown> = { Effect: effect };
  const cryptoOnly = gen.chance(0.3);
  if (cryptoOnly) statement.Action = gen.some(CRYPTO_ACTIONS, 1, 2);
  else if (gen.chance(0.15)) statement.NotAction = actionElement(gen);
  else statement.Action = actionElement(gen);
  if (gen.chance(0.1)) statement.NotResource = gen.pick(RESOURCES.slice(1));
  else statement.Resource = gen.chance(0.8) ? '*' : gen.pick(RESOURCES);
  if (gen.chance(0.45)) statement.Condition = condition(gen, cryptoOnly);
  return statement;
}

export function keyPolicy(gen: Gen): PolicyDocument {
  const statements = [];
  for (let i = gen.int(1, 4); i > 0; i--) {
    const statement = statementBase(gen, gen.chance(0.75) ? 'Allow' : 'Deny');
    if (gen.chance(statement.Effect === 'Deny' ? 0.25 : 0.08)) statement.NotPrincipal = { AWS: gen.some(PRINCIPAL_ENTRIES, 1, 2) };
    else statement.Principal = principalElement(gen);
    statements.push(statement);
  }
  return { Version: '2012-10-17', Statement: statements };
}

export function identityPolicies(gen: Gen): PolicyDocument[] {
  const policies: PolicyDocument[] = [];
  for (let i = gen.int(0, 2); i > 0; i--) {
    const statements = [];
    for (let j = gen.int(1, 2); j > 0; j--) statements.push(statementBase(gen, gen.chance(0.8) ? 'Allow' : 'Deny'));
    policies.push({ Version: '2012-10-17', Statement: statements });
  }
  return policies;
}

export function request(gen: Gen): KeyRequest {
  const action = gen.pick(ACTIONS);
  const principal = gen.pick(CALLERS);
  const context: Record<string, ContextValue> = {};
  for (const kind of KEY_KINDS) {
    if (kind.key === 'kms:EncryptionContextKeys' && !CRYPTO_ACTIONS.includes(action)) continue;
    if (gen.chance(0.6)) context[kind.key] = gen.pick(kind.requestValues);
  }
  return { principal, action, keyArn: KEY_ARN, context };
}
