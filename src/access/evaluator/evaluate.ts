import { AllowedBy, authorize } from './authorize';
import { conditionsHold } from './conditions';
import { buildContext } from './context';
import { parseCaller } from './principal';
import { applicableStatements, ApplicableStatement } from './statement';
import { Decision, KeyRequest, PolicyDocument } from './types';

/** What the evaluator needs: the key policy, the caller's IAM policies and the request. */
export interface EvaluationInput {
  readonly keyPolicy: PolicyDocument;
  /** Identity policies attached to the caller (inline and managed, of its role or user). */
  readonly identityPolicies?: readonly PolicyDocument[];
  readonly request: KeyRequest;
}

/** The decision, why, and the statements that decided it. */
export interface Evaluation {
  readonly decision: Decision;
  readonly allowedBy?: AllowedBy;
  /** Statements (key policy first, then IAM) that apply to the request with their conditions met. */
  readonly statements: readonly ApplicableStatement[];
}

/** The account of a key ARN (`arn:aws:kms:<region>:<account>:key/<id>`), if it has one. */
export function accountOfKeyArn(keyArn: string): string | undefined {
  const parts = keyArn.split(':');
  return parts.length >= 6 && parts[4] !== '' ? parts[4] : undefined;
}

/** Decides Allow / ImplicitDeny / ExplicitDeny for one request, following KMS authorization. */
export function evaluateKeyAccess(input: EvaluationInput): Evaluation {
  const { request } = input;
  const caller = parseCaller(request.principal);
  const context = buildContext(request);
  const scope = { caller, action: request.action, resource: request.keyArn };
  const holds = (s: ApplicableStatement) => conditionsHold(s.statement.Condition, context);
  const key = applicableStatements([input.keyPolicy], { ...scope, kind: 'key' }).filter(holds);
  const identity = caller.service ? [] : applicableStatements(input.identityPolicies ?? [], { ...scope, kind: 'identity' }).filter(holds);
  const result = authorize(key, identity, caller, accountOfKeyArn(request.keyArn));
  return { ...result, statements: [...key, ...identity] };
}
