/**
 * Role assignments of one key (administrators, policy manager, users, services) turned into the
 * policy model's input, for a key in a given construct scope. ManagedKey and ReplicaKey both build
 * their key policies here, so a replica's policy is its primary's with the Region-specific parts
 * (`kms:ViaService` endpoints, service principals, the stack's execution role) of its own stack.
 */
import { DefaultStackSynthesizer, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { assertNoProblems } from '../errors';
import { KeyActions } from './actions';
import { actionsOfCapability, sortedUnion } from './capability';
import { conditionConflicts } from './conditions';
import { KeyService } from './key-service';
import { KeyUser } from './key-user';
import { policyLintProblems } from './policy-lint';
import { buildKeyPolicyStatements, KeyPolicyPosture, PolicyAccess } from './policy-model';
import { biggestStatements, KEY_POLICY_MAX_BYTES, keyPolicySize } from './policy-size';
import { malformedPrincipalProblems, overlappingPrincipals } from './principal-checks';
import { ownConditions, principalName } from './principal-identity';

/** Who holds which role in one key's policy. */
export interface KeyRoles {
  readonly posture: KeyPolicyPosture;
  readonly administrators: readonly iam.IPrincipal[];
  /** STRICT only. */
  readonly policyManager?: iam.IPrincipal;
  /**
   * What the policy manager may do and under which Sid.
   * @default - what CloudFormation needs to manage the key and its aliases (`PolicyManagerForCloudFormation`)
   */
  readonly policyManagement?: { readonly sid: string; readonly actions: readonly string[] };
  /** Uses placed before the users' (e.g. a custom resource's alias management). */
  readonly extraUses?: readonly PolicyAccess[];
  readonly users: readonly KeyUser[];
  readonly services: readonly KeyService[];
  /** Statements added through `addToResourcePolicy` and STRICT grants. */
  readonly extraStatements: readonly iam.PolicyStatement[];
  readonly createGrantGuard: boolean;
}

/** What of the key itself changes its policy. */
export interface KeyFacts {
  readonly keySpec: kms.KeySpec;
  readonly multiRegion: boolean;
  readonly importedMaterial: boolean;
}

/** The key-policy statements of a key in `scope` (grants and escape-hatch statements included). */
export function keyPolicyStatements(scope: IConstruct, roles: KeyRoles, facts: KeyFacts): iam.PolicyStatement[] {
  const statements = buildKeyPolicyStatements({
    posture: roles.posture,
    accountRoot: new iam.AccountRootPrincipal(),
    administration: administration(roles, facts),
    policyManagement: roles.policyManager ? policyManagement(roles.policyManager, roles, facts) : undefined,
    uses: [
      ...(roles.extraUses ?? []),
      ...userAccesses(scope, roles.users, facts.keySpec),
      ...serviceAccesses(scope, roles.services, facts.keySpec),
    ],
    createGrantGuard: roles.createGrantGuard,
  });
  // The guard stays last, after any statement added through addToResourcePolicy.
  const guard = statements.length > 0 && statements[statements.length - 1].effect === iam.Effect.DENY ? [statements.pop()!] : [];
  return [...statements, ...roles.extraStatements, ...guard];
}

function administration(roles: KeyRoles, facts: KeyFacts): PolicyAccess | undefined {
  if (roles.administrators.length === 0) return undefined;
  const actions = [
    KeyActions.ADMINISTER,
    roles.posture === KeyPolicyPosture.IAM_DELEGATED ? KeyActions.CHANGE_POLICY : [],
    facts.multiRegion ? KeyActions.ADMINISTER_MULTI_REGION : [],
    facts.importedMaterial ? KeyActions.ADMINISTER_IMPORTED_MATERIAL : [],
  ];
  return { sid: 'KeyAdministration', principals: [...roles.administrators], actions: sortedUnion(...actions) };
}

/** By default exactly what CloudFormation needs to create, update and delete the key and its aliases. */
function policyManagement(manager: iam.IPrincipal, roles: KeyRoles, facts: KeyFacts): PolicyAccess {
  const given = roles.policyManagement;
  if (given) return { sid: given.sid, principals: [manager], actions: [...given.actions] };
  const actions = sortedUnion(KeyActions.CLOUDFORMATION_MANAGEMENT, facts.multiRegion ? KeyActions.ADMINISTER_MULTI_REGION : []);
  return { sid: 'PolicyManagerForCloudFormation', principals: [manager], actions };
}

function userAccesses(scope: IConstruct, users: readonly KeyUser[], keySpec: kms.KeySpec): PolicyAccess[] {
  return users.map((user) => ({
    sid: `Use${pascal(user.capability)}`,
    principals: [user.principal],
    actions: actionsOfCapability(user.capability, keySpec),
    conditions: user._conditions(scope),
  }));
}

function serviceAccesses(scope: IConstruct, services: readonly KeyService[], keySpec: kms.KeySpec): PolicyAccess[] {
  return services.map((service) => {
    const access = service._access(scope, keySpec);
    return { sid: `Service${service.name}`, principals: [access.principal], actions: access.actions, conditions: access.conditions };
  });
}

/** The CloudFormation execution role of the stack of `scope`: the default STRICT policy manager. */
export function defaultPolicyManager(scope: IConstruct): iam.IPrincipal {
  const synthesizer = Stack.of(scope).synthesizer;
  if (synthesizer instanceof DefaultStackSynthesizer) {
    // The synthesizer's ARN may hold `${AWS::Partition}`-style placeholders meant for Fn::Sub.
    const arn = synthesizer.cloudFormationExecutionRoleArn;
    return new iam.ArnPrincipal(arn.includes('${') ? Fn.sub(arn) : arn);
  }
  assertNoProblems(scope, [
    `the STRICT posture needs a policy manager, and the stack's ${synthesizer.constructor.name} has no CloudFormation execution role: ` +
    'pass policyManager (e.g. iam.Role.fromRoleArn(this, "Deployer", "arn:aws:iam::111122223333:role/deployer")) — the principal that deploys this stack',
  ]);
  throw new Error('unreachable');
}

/** What the synth-time policy checks need beyond the roles. */
export interface PolicyCheckInput {
  /** Principals given use through `grant*` (they count as users for separation of duties). */
  readonly grantees: readonly iam.IPrincipal[];
  readonly allowAdministratorAsUser: boolean;
  readonly statements: readonly iam.PolicyStatement[];
  readonly document: iam.PolicyDocument;
}

/**
 * Problems only visible once every user and grant is added: separation of duties, principals a
 * key policy cannot name, conditions that would replace each other, our lint rules, and size.
 */
export function keyPolicyProblems(scope: IConstruct, roles: KeyRoles, input: PolicyCheckInput): string[] {
  const stack = Stack.of(scope);
  const problems: string[] = [];
  if (!input.allowAdministratorAsUser) {
    // Compared by what each principal resolves to (principal-identity.ts): a composite, a literal
    // ARN, an imported role or an Fn::Sub policy manager is the same principal as its other forms.
    const managers = [...roles.administrators, ...(roles.policyManager ? [roles.policyManager] : [])];
    const both = overlappingPrincipals(managers, [...roles.users.map((u) => u.principal), ...input.grantees], scope);
    if (both.length > 0) {
      const names = [...new Set(both.map((p) => principalName(p, scope)))];
      problems.push(`${names.join(', ')} is both administrator and user of the key: ` +
        'use separate principals (separation of duties), or set allowAdministratorAsUser: true');
    }
  }
  for (const user of roles.users) {
    const conflicts = conditionConflicts(user._conditions(scope), ownConditions(user.principal));
    if (conflicts.length > 0) {
      problems.push(`user ${principalName(user.principal, scope)} brings its own conditions on ${conflicts.join(', ')}, which the user's options also set: ` +
        'set each condition in one place (the KeyUser options or the PrincipalWithConditions)');
    }
  }
  const statementPrincipals = input.statements.flatMap((statement) => statement.principals);
  problems.push(...new Set(statementPrincipals.flatMap((principal) => malformedPrincipalProblems('principal', principal, scope))));
  if (problems.length > 0) return problems;

  const resolved = stack.resolve(input.document);
  problems.push(...policyLintProblems(resolved, input.allowAdministratorAsUser ? ['KMS3'] : []));
  const size = keyPolicySize(resolved);
  if (size > KEY_POLICY_MAX_BYTES) {
    problems.push(`the key policy is about ${size} bytes, over the ${KEY_POLICY_MAX_BYTES}-byte limit of KMS; the biggest statements: ` +
      `${biggestStatements(resolved, 3).join(', ')}. Give principals the same conditions so their statements merge, or use IAM_DELEGATED and grant through IAM`);
  }
  return problems;
}

function pascal(value: string): string {
  return value.toLowerCase().split(/[_\s-]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
