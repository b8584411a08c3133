/** Hand-written templates for diff tests: one key (with an alias) and a few roles, built from options. */
import { CfnTemplate } from '../../../src/lint/template';

export const ROOT = { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } };
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export interface KeyOptions {
  readonly statements: object[];
  readonly logicalId?: string;
  readonly alias?: string;
  readonly properties?: Record<string, unknown>;
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
}

export const ADMIN_ALL = { Sid: 'Root', Effect: 'Allow', Principal: ROOT, Action: 'kms:*', Resource: '*' };

/** A statement letting a role of the template do `actions`, with an optional Condition block. */
export function allow(role: string, actions: readonly string[], condition?: object): object {
  return { Effect: 'Allow', Principal: { AWS: arnOf(role) }, Action: [...actions], Resource: '*', ...(condition ? { Condition: condition } : {}) };
}

const ROLE = {
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
};

/** A template with roles Admin, App and Reader, and one key (unless `key` is undefined). */
export function keyTemplate(key?: KeyOptions): CfnTemplate {
  const resources: Record<string, any> = { Admin: ROLE, App: ROLE, Reader: ROLE };
  if (key) {
    const logicalId = key.logicalId ?? 'Key';
    resources[logicalId] = {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: key.deletionPolicy ?? 'Retain',
      UpdateReplacePolicy: key.updateReplacePolicy ?? 'Retain',
      Properties: { EnableKeyRotation: true, KeyPolicy: { Version: '2012-10-17', Statement: key.statements }, ...key.properties },
    };
    resources[`${logicalId}Alias`] = { Type: 'AWS::KMS::Alias', Properties: { AliasName: key.alias ?? 'alias/orders', TargetKeyId: { Ref: logicalId } } };
  }
  return { Resources: resources };
}
