/**
 * Building blocks for key-policy lint tests: hand-written CloudFormation in the shapes people
 * write (and the CDK emits), so each test states only the statement it is about.
 */
import { LintFinding } from '../../src';
import { lintTemplate } from '../../src/lint/lint';

/** The account root as the CDK writes it. */
export const ROOT_JOIN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
export const ROLE_ARN = 'arn:aws:iam::111122223333:role/App';
export const ADMIN_ARN = 'arn:aws:iam::111122223333:role/KeyAdmin';

export const ROOT_STATEMENT = { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT_JOIN }, Action: 'kms:*', Resource: '*' };

/** The CT.KMS.PR.3 CreateGrant guard, as ManagedKey writes it. */
export const GRANT_GUARD = {
  Sid: 'DenyCreateGrantNotForAwsResource',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
};

export interface KeyOptions {
  /** Replaces the default root + guard statements. */
  readonly baseStatements?: any[];
  readonly properties?: Record<string, any>;
  readonly deletionPolicy?: string | null;
  readonly type?: string;
  readonly parameters?: Record<string, any>;
}

/** A template with one key `Key`: root statement, CreateGrant guard, rotation, retained; plus `statements`. */
export function keyTemplate(statements: any[] = [], options: KeyOptions = {}): any {
  const type = options.type ?? 'AWS::KMS::Key';
  const deletionPolicy = options.deletionPolicy === undefined ? 'Retain' : options.deletionPolicy;
  return {
    ...(options.parameters ? { Parameters: options.parameters } : {}),
    Resources: {
      Key: {
        Type: type,
        ...(deletionPolicy === null ? {} : { DeletionPolicy: deletionPolicy, UpdateReplacePolicy: deletionPolicy }),
        Properties: {
          ...(type === 'AWS::KMS::Key' ? { EnableKeyRotation: true } : { PrimaryKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/mrk-1' }),
          KeyPolicy: { Version: '2012-10-17', Statement: [...(options.baseStatements ?? [ROOT_STATEMENT, GRANT_GUARD]), ...statements] },
          ...options.properties,
        },
      },
    },
  };
}

export function allow(principal: any, action: any, extra: Record<string, any> = {}): any {
  return { Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...extra };
}

/** `ruleId severity` of every finding, for compact assertions. */
export function findingIds(template: any): string[] {
  return lintTemplate(template).map((finding) => `${finding.ruleId} ${finding.severity}`);
}

export function findingsOf(template: any, ruleId: string): LintFinding[] {
  return lintTemplate(template).filter((finding) => finding.ruleId === ruleId);
}
