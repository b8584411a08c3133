/**
 * Synth-time checks of a replica and its primary. Each returns problems as sentences saying what
 * is wrong and how to fix it; ReplicaKey prefixes them with its construct path.
 */
import { Stack, Token } from 'aws-cdk-lib';

/** The concrete account and Region of a stack, or the problem of an environment-agnostic one. */
export function environmentProblems(stack: Stack, role: 'replica' | 'primary'): string[] {
  if (!Token.isUnresolved(stack.region) && !Token.isUnresolved(stack.account)) return [];
  return [`the ${role} key's stack ${stack.node.path} is environment-agnostic (its account or Region is unknown at synth): ` +
    "a multi-Region key needs both: give the stack env: { account: '111122223333', region: 'eu-west-1' }"];
}

/** What a replica is checked against: where it is and where its primary is. */
export interface ReplicaPlacement {
  readonly replicaRegion: string;
  readonly replicaAccount: string;
  /** Undefined when the primary's ARN is only known at deploy time. */
  readonly primaryRegion?: string;
  readonly primaryAccount?: string;
}

/** Problems with where a replica is, relative to its primary. */
export function placementProblems(p: ReplicaPlacement): string[] {
  const problems: string[] = [];
  if (p.primaryRegion !== undefined && p.primaryRegion === p.replicaRegion) {
    problems.push(`the replica is in ${p.replicaRegion}, the primary key's own Region: put the replica in a stack of another Region`);
  }
  if (p.primaryAccount !== undefined && p.primaryAccount !== p.replicaAccount) {
    problems.push(`the replica's stack is in account ${p.replicaAccount} and its primary in ${p.primaryAccount}: KMS creates replicas only in the ` +
      "primary's account; deploy the replica stack to that account, or let the other account use the key through KeyUser.crossAccount");
  }
  return problems;
}

/** The parts of a literal multi-Region key ARN (`arn:<partition>:kms:<region>:<account>:key/mrk-<hex>`). */
export interface KeyArnParts {
  readonly region: string;
  readonly account: string;
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/(\S+)$/;
const MULTI_REGION_KEY_ID = /^mrk-[0-9a-f]{32}$/;

/** Parses a literal primary-key ARN; returns problems when it is not one of a multi-Region key. */
export function parsePrimaryKeyArn(arn: string): { parts?: KeyArnParts; problems: string[] } {
  if (Token.isUnresolved(arn)) return { problems: [] };
  const match = KEY_ARN.exec(arn);
  if (!match) {
    return { problems: [`primaryKeyArn '${arn}' is not a KMS key ARN: give one such as arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab`] };
  }
  const [, region, account, keyId] = match;
  if (!MULTI_REGION_KEY_ID.test(keyId)) {
    return {
      parts: { region, account },
      problems: [`primaryKeyArn '${arn}' is not a multi-Region key (its id does not start with mrk-): only multi-Region primary keys can be replicated; ` +
        'create the primary with multiRegion: true (a single-Region key cannot become one)'],
    };
  }
  return { parts: { region, account }, problems: [] };
}

/** Origins of keys in custom key stores, which are single-Region only. */
const KEY_STORE_ORIGINS = new Set(['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']);

/** Problems with a primary key construct: not multi-Region, or in a custom key store. */
export function primaryKeyProblems(primary: { readonly multiRegion: boolean; readonly origin?: string; readonly path: string }): string[] {
  if (primary.origin !== undefined && KEY_STORE_ORIGINS.has(primary.origin)) {
    return [`the primary key ${primary.path} is in a custom key store, which holds only single-Region keys: ` +
      'replicate a key with KMS key material (origin AWS_KMS or EXTERNAL) instead'];
  }
  if (!primary.multiRegion) {
    return [`the primary key ${primary.path} is not multi-Region: create it with multiRegion: true (or as a MultiRegionKey); ` +
      'note that CloudFormation replaces a key whose MultiRegion property changes'];
  }
  return [];
}
