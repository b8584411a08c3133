/**
 * Who can do what with a key, answered by @cloud-copilot/iam-simulate (AGPL: tests only, never
 * imported from src/, lambda/ or cli/) over the synthesized key policy and the principal's
 * synthesized identity policies.
 *
 * Known quirk (iam-simulate 0.1.x): condition keys of the form `kms:EncryptionContext:<key>` are
 * silently dropped from the request context (its variable-key matching expects `kms:EncryptionContext/<key>`,
 * and reports the key in `ignoredContextKeys`). So a statement conditioned on an encryption-context
 * pair never matches: the simulator cannot prove an encryption-context allow, and "denied with the
 * wrong context" passes for the wrong reason. Check those conditions on the template instead (and
 * say so in a comment). iam.test.ts pins the quirk, so we notice when a new version fixes it.
 * `kms:EncryptionContextKeys` (multi-valued) and `kms:ViaService` are evaluated correctly.
 */
import { createHash } from 'crypto';
import { runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';

/** The concrete environment every pseudo parameter and ARN resolves to. */
export const FAKE_ENV = {
  account: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  stackName: 'Stack',
} as const;

/** The simulator's verdict. */
export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** One request against one key, with already-resolved policies. */
export interface KeyRequest {
  /** The key policy document (resolved: concrete ARNs, no intrinsics). */
  readonly keyPolicy: object;
  /** Identity policies attached to the principal (resolved). */
  readonly identityPolicies?: SimulationIdentityPolicy[];
  /** The calling principal: an ARN such as arn:aws:iam::111111111111:role/User, or a service principal such as sns.amazonaws.com. */
  readonly principalArn: string;
  /** The KMS action, e.g. 'kms:Decrypt'. */
  readonly action: string;
  readonly keyArn: string;
  /**
   * Request context. Defaults added unless given: aws:PrincipalArn, aws:PrincipalAccount,
   * kms:CallerAccount, aws:PrincipalIsAWSService=false and, for kms:CreateGrant,
   * kms:GrantIsForAWSResource=false (as for a direct call, not one made by an AWS service).
   */
  readonly context?: Record<string, string | string[]>;
}

/** The simulator's verdict plus the context keys it dropped before evaluating. */
export interface KeyRequestOutcome {
  readonly decision: Decision;
  readonly ignoredContextKeys: string[];
}

/** Runs one request through iam-simulate; throws on invalid input (bad policy, unknown action). */
export async function simulateKeyRequest(request: KeyRequest): Promise<KeyRequestOutcome> {
  const response = await runSimulation(
    {
      request: {
        principal: request.principalArn,
        action: request.action,
        resource: { resource: request.keyArn, accountId: accountOf(request.keyArn) },
        contextVariables: { ...defaultContext(request), ...request.context },
      },
      identityPolicies: request.identityPolicies ?? [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.keyPolicy,
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`iam-simulate rejected the request: ${response.errors.message}\n${JSON.stringify(response.errors, null, 2)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`expected one simulated resource for ${request.keyArn}, got ${response.resultType}`);
  }
  return { decision: response.overallResult, ignoredContextKeys: response.result.ignoredContextKeys ?? [] };
}

/** {@link simulateKeyRequest}, returning only the decision. */
export async function canDo(request: KeyRequest): Promise<Decision> {
  return (await simulateKeyRequest(request)).decision;
}

/**
 * A principal: a role/user construct (or its logical id) in the template, whose identity policies
 * are collected, or an ARN or service principal string (outside the template, no identity policies).
 */
export type PrincipalRef = string | IConstruct;

/** The logical id of a construct's CloudFormation resource (its default child, or itself). */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(element);
  return stack.resolve(stack.getLogicalId(element));
}

/** An ARN or a service principal: a principal named by a string rather than by a template resource. */
function isOutsideTemplate(principal: PrincipalRef): principal is string {
  return typeof principal === 'string' && (principal.startsWith('arn:') || principal.endsWith('.amazonaws.com'));
}

function idOf(ref: string | IConstruct): string {
  return typeof ref === 'string' ? ref : logicalIdOf(ref);
}

/**
 * The key policy of one AWS::KMS::Key in a synthesized template, and the identity policies of the
 * template's roles, resolved with {@link FAKE_ENV} so the simulator sees real ARNs.
 */
export class KeyAccess {
  /** @param key the key construct or its logical id; defaults to the template's only AWS::KMS::Key (or AWS::KMS::ReplicaKey) */
  static of(template: Template | object, key?: string | IConstruct): KeyAccess {
    const json = template instanceof Template ? template.toJSON() : template;
    return new KeyAccess(new TemplateResolver(json), key === undefined ? undefined : idOf(key));
  }

  readonly keyLogicalId: string;
  readonly keyArn: string;
  readonly keyPolicy: object;

  private constructor(private readonly resolver: TemplateResolver, keyLogicalId?: string) {
    this.keyLogicalId = keyLogicalId ?? resolver.onlyResourceOfType('AWS::KMS::Key', 'AWS::KMS::ReplicaKey');
    this.keyArn = resolver.arnOf(this.keyLogicalId);
    // A key in a custom key store has its policy in its custom resource's KeyPolicy property.
    this.keyPolicy = resolver.resolve(resolver.properties(this.keyLogicalId, 'AWS::KMS::Key', 'AWS::KMS::ReplicaKey', 'Custom::KmsCustomStoreKey').KeyPolicy);
  }

  /** The ARN of a principal: the resolved ARN of a role/user logical id, or the ARN itself. */
  principalArn(principal: PrincipalRef): string {
    return isOutsideTemplate(principal) ? principal : this.resolver.arnOf(idOf(principal));
  }

  /** The identity policies the template attaches to a role/user logical id (none for an ARN). */
  identityPolicies(principal: PrincipalRef): SimulationIdentityPolicy[] {
    return isOutsideTemplate(principal) ? [] : this.resolver.identityPoliciesOf(idOf(principal));
  }

  /** May `principal` call `action` on this key with `context`? */
  async canDo(principal: PrincipalRef, action: string, context?: Record<string, string | string[]>): Promise<Decision> {
    return (await this.simulate(principal, action, context)).decision;
  }

  /** {@link canDo} with the context keys the simulator ignored. */
  async simulate(principal: PrincipalRef, action: string, context?: Record<string, string | string[]>): Promise<KeyRequestOutcome> {
    return simulateKeyRequest({
      keyPolicy: this.keyPolicy,
      identityPolicies: this.identityPolicies(principal),
      principalArn: this.principalArn(principal),
      action,
      keyArn: this.keyArn,
      context,
    });
  }

  /** Resolves any value of the template (e.g. a condition block) with {@link FAKE_ENV}. */
  resolve(value: unknown): any {
    return this.resolver.resolve(value);
  }
}

/** The CDK bootstrap CloudFormation execution role in {@link FAKE_ENV} (the default STRICT policy manager). */
export const CFN_EXEC_ROLE_ARN =
  `arn:aws:iam::${FAKE_ENV.account}:role/cdk-hnb659fds-cfn-exec-role-${FAKE_ENV.account}-${FAKE_ENV.region}`;

function accountOf(arn: string): string {
  const account = arn.split(':')[4];
  if (!/^\d{12}$/.test(account ?? '')) throw new Error(`no account id in ARN ${arn}`);
  return account;
}

function defaultContext(request: KeyRequest): Record<string, string> {
  if (!request.principalArn.startsWith('arn:')) {
    // A service principal such as sns.amazonaws.com: the caller supplies aws:SourceAccount/SourceArn.
    return { 'aws:PrincipalIsAWSService': 'true' };
  }
  const account = accountOf(request.principalArn);
  return {
    'aws:PrincipalArn': request.principalArn,
    'aws:PrincipalAccount': account,
    'aws:PrincipalIsAWSService': 'false',
    'kms:CallerAccount': account,
    ...(request.action.toLowerCase() === 'kms:creategrant' ? { 'kms:GrantIsForAWSResource': 'false' } : {}),
  };
}

const { account: A, region: R, partition: P } = FAKE_ENV;

/** ARN of a resource from its physical name (or id), per resource type. */
const ARNS: Record<string, (name: string) => string> = {
  'AWS::IAM::Role': (n) => `arn:${P}:iam::${A}:role/${n}`,
  'AWS::IAM::User': (n) => `arn:${P}:iam::${A}:user/${n}`,
  'AWS::IAM::ManagedPolicy': (n) => `arn:${P}:iam::${A}:policy/${n}`,
  'AWS::KMS::Key': (id) => `arn:${P}:kms:${R}:${A}:key/${id}`,
  'Custom::KmsCustomStoreKey': (id) => `arn:${P}:kms:${R}:${A}:key/${id}`,
  'AWS::KMS::ReplicaKey': (id) => `arn:${P}:kms:${R}:${A}:key/${id}`,
  'AWS::S3::Bucket': (n) => `arn:${P}:s3:::${n}`,
  'AWS::DynamoDB::Table': (n) => `arn:${P}:dynamodb:${R}:${A}:table/${n}`,
  'AWS::Logs::LogGroup': (n) => `arn:${P}:logs:${R}:${A}:log-group:${n}:*`,
  'AWS::Lambda::Function': (n) => `arn:${P}:lambda:${R}:${A}:function:${n}`,
  'AWS::SQS::Queue': (n) => `arn:${P}:sqs:${R}:${A}:${n}`,
  'AWS::SNS::Topic': (n) => `arn:${P}:sns:${R}:${A}:${n}`,
  'AWS::CloudTrail::Trail': (n) => `arn:${P}:cloudtrail:${R}:${A}:trail/${n}`,
  'AWS::SecretsManager::Secret': (n) => `arn:${P}:secretsmanager:${R}:${A}:secret:${n}-AbCdEf`,
  'AWS::DynamoDB::GlobalTable': (n) => `arn:${P}:dynamodb:${R}:${A}:table/${n}`,
  'AWS::Kinesis::Stream': (n) => `arn:${P}:kinesis:${R}:${A}:stream/${n}`,
  'AWS::Events::EventBus': (n) => `arn:${P}:events:${R}:${A}:event-bus/${n}`,
  'AWS::StepFunctions::StateMachine': (n) => `arn:${P}:states:${R}:${A}:stateMachine:${n}`,
  'AWS::Route53::HostedZone': (n) => `arn:${P}:route53:::hostedzone/${n}`,
};

/** Types whose `Ref` is the ARN rather than the name. */
const REF_IS_ARN = new Set(['AWS::SNS::Topic', 'AWS::SecretsManager::Secret', 'AWS::IAM::ManagedPolicy', 'AWS::StepFunctions::StateMachine']);

/** Resolves CloudFormation intrinsics of one template to concrete values in {@link FAKE_ENV}. */
class TemplateResolver {
  private readonly resources: Record<string, { Type: string; Properties?: any }>;

  constructor(private readonly template: any) {
    this.resources = template.Resources ?? {};
  }

  onlyResourceOfType(...types: string[]): string {
    const ids = Object.keys(this.resources).filter((id) => types.includes(this.resources[id].Type));
    if (ids.length !== 1) throw new Error(`expected exactly one ${types.join(' or ')}, found ${ids.length} (${ids.join(', ')}): pass a logical id`);
    return ids[0];
  }

  properties(logicalId: string, ...types: string[]): any {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template (has: ${Object.keys(this.resources).join(', ')})`);
    if (types.length > 0 && !types.includes(resource.Type)) throw new Error(`${logicalId} is a ${resource.Type}, expected ${types.join(' or ')}`);
    return resource.Properties ?? {};
  }

  arnOf(logicalId: string): string {
    const type = this.resources[logicalId]?.Type;
    const arn = ARNS[type];
    if (!arn) throw new Error(`cannot make an ARN for ${logicalId} (${type}): add its type to ARNS in test/support/iam.ts`);
    return arn(this.physicalName(logicalId));
  }

  /** Inline policies, AWS::IAM::Policy / ManagedPolicy resources naming it, and its customer managed policies. */
  identityPoliciesOf(logicalId: string): SimulationIdentityPolicy[] {
    const props = this.properties(logicalId, 'AWS::IAM::Role', 'AWS::IAM::User');
    const inline = (props.Policies ?? []).map((p: any) => ({ name: `${logicalId}/${p.PolicyName}`, policy: p.PolicyDocument }));
    const managedRefs = new Set((props.ManagedPolicyArns ?? []).filter((a: any) => a?.Ref).map((a: any) => a.Ref));
    const attached = Object.entries(this.resources)
      .filter(([id, r]) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
        && (attachesTo(r.Properties, logicalId) || managedRefs.has(id)))
      .map(([id, r]) => ({ name: id, policy: r.Properties!.PolicyDocument }));
    // AWS managed policies (arn:aws:iam::aws:policy/...) are not in the template and are left out.
    return [...inline, ...attached].map((p) => ({ name: p.name, policy: this.resolve(p.policy) }));
  }

  resolve(value: unknown): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private intrinsic(fn: string, arg: any): any {
    switch (fn) {
      case 'Ref': return this.ref(arg);
      case 'Fn::GetAtt': return this.getAtt(...(typeof arg === 'string' ? arg.split('.') : arg) as [string, string]);
      case 'Fn::Join': return this.resolve(arg[1]).join(arg[0]);
      case 'Fn::Select': return this.resolve(arg[1])[Number(this.resolve(arg[0]))];
      case 'Fn::Split': return this.resolve(arg[1]).split(arg[0]);
      case 'Fn::Sub': return this.sub(...(typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>]);
      default: throw new Error(`test/support/iam.ts cannot resolve ${fn} (${JSON.stringify(arg)})`);
    }
  }

  private ref(name: string): string {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': A,
      'AWS::Region': R,
      'AWS::Partition': P,
      'AWS::URLSuffix': FAKE_ENV.urlSuffix,
      'AWS::StackName': FAKE_ENV.stackName,
    };
    if (pseudo[name]) return pseudo[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`parameter ${name} has no Default to resolve`);
      return parameter.Default;
    }
    const resource = this.resources[name];
    if (!resource) throw new Error(`Ref to unknown ${name}`);
    return REF_IS_ARN.has(resource.Type) ? this.arnOf(name) : this.physicalName(name);
  }

  private getAtt(logicalId: string, attribute: string): string {
    if (!this.resources[logicalId]) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
    if (attribute === 'Arn') return this.arnOf(logicalId);
    if (attribute === 'KeyId') return this.physicalName(logicalId);
    return `${logicalId}.${attribute}`;
  }

  private sub(text: string, variables: Record<string, unknown>): string {
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name]));
      const [id, attribute] = name.split('.');
      return attribute ? this.getAtt(id, attribute) : this.ref(id);
    }).replace(/\$\{!/g, '${');
  }

  /** A stable fake physical name (or key id) per logical id, honouring explicit names. */
  private physicalName(logicalId: string): string {
    const { Type: type, Properties: props = {} } = this.resources[logicalId];
    const explicit = props.RoleName ?? props.UserName ?? props.BucketName ?? props.TableName ?? props.LogGroupName
      ?? props.FunctionName ?? props.QueueName ?? props.TopicName ?? props.TrailName ?? props.ManagedPolicyName
      ?? props.StateMachineName ?? (type === 'AWS::Events::EventBus' ? props.Name : undefined);
    if (explicit !== undefined) return this.resolve(explicit);
    if (type === 'AWS::KMS::Key' || type === 'AWS::KMS::ReplicaKey' || type === 'Custom::KmsCustomStoreKey') return fakeKeyId(logicalId);
    return type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
  }
}

function attachesTo(properties: any, logicalId: string): boolean {
  return [...(properties?.Roles ?? []), ...(properties?.Users ?? [])].some((r: any) => r?.Ref === logicalId);
}

/** A UUID-shaped key id derived from the logical id, so ARNs are stable across runs. */
function fakeKeyId(logicalId: string): string {
  const h = createHash('sha256').update(logicalId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
