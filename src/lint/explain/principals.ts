/**
 * Turns resolved template values into concrete evaluator input: pseudo parameters become a
 * placeholder account and Region, `Fn::GetAtt` of roles, users and keys in the loaded templates
 * become synthetic ARNs, and any other unresolved principal gets a synthetic ARN of its own so it
 * still shows up as one row of the matrix.
 */
import { CfnTemplate, isOpaque, isPlainObject, Opaque, Resolved } from '../template';

/** The account the templates deploy to, when they say `${AWS::AccountId}`. */
export const THIS_ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const PSEUDO_VALUES: Record<string, string> = {
  '${AWS::AccountId}': THIS_ACCOUNT,
  '${AWS::Partition}': 'aws',
  '${AWS::Region}': REGION,
  '${AWS::URLSuffix}': 'amazonaws.com',
};

/** A template loaded for explain. */
export interface ExplainInput {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Resources of the loaded templates that a policy may refer to with Ref / Fn::GetAtt. */
export class ResourceNames {
  private readonly arnByRef = new Map<string, string>();
  private readonly opaqueArns = new Map<string, string>();
  private readonly displayNames = new Map<string, string>();

  constructor(private readonly stackName: string, template: CfnTemplate) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const arn = syntheticArn(stackName, logicalId, resource.Type, resource.Properties);
      if (arn) this.arnByRef.set(logicalId, arn);
    }
  }

  /** The synthetic ARN of a role, user or key of this template, by logical id. */
  public arnOf(logicalId: string): string | undefined {
    return this.arnByRef.get(logicalId);
  }

  /** Replaces pseudo parameters and `Fn::GetAtt X.Arn` of known resources, everywhere in `value`. */
  public concretize(value: Resolved): Resolved {
    if (typeof value === 'string') return replacePseudo(value);
    if (isOpaque(value)) {
      const ref = value.ref;
      const known = ref && (ref.attribute === 'Arn' || ref.attribute === undefined) ? this.arnByRef.get(ref.logicalId) : undefined;
      if (known && ref?.attribute === 'Arn') return known;
      const text = replacePseudo(value.text);
      return text.includes('${') ? new Opaque(text, value.ref) : text;
    }
    if (Array.isArray(value)) return value.map((item) => this.concretize(item));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.concretize(v)]));
    return value;
  }

  /** A stable synthetic ARN standing for a principal the templates do not resolve. */
  public opaquePrincipalArn(opaque: Opaque): string {
    let arn = this.opaqueArns.get(opaque.text);
    if (!arn) {
      arn = `arn:aws:iam::${THIS_ACCOUNT}:role/unresolved-${this.stackName}-${this.opaqueArns.size + 1}`;
      this.opaqueArns.set(opaque.text, arn);
      this.displayNames.set(arn, opaque.text);
    }
    return arn;
  }

  /** What the template says for a principal: the unresolved expression behind a synthetic ARN. */
  public displayName(arn: string): string {
    return this.displayNames.get(arn) ?? arn;
  }
}

function replacePseudo(text: string): string {
  return text.replace(/\$\{AWS::[A-Za-z]+\}/g, (name) => PSEUDO_VALUES[name] ?? name);
}

function syntheticArn(stackName: string, logicalId: string, type: string, properties: Record<string, unknown> = {}): string | undefined {
  const name = (key: string) => (typeof properties[key] === 'string' ? (properties[key] as string) : `${stackName}-${logicalId}`);
  switch (type) {
    case 'AWS::IAM::Role': return `arn:aws:iam::${THIS_ACCOUNT}:role/${name('RoleName')}`;
    case 'AWS::IAM::User': return `arn:aws:iam::${THIS_ACCOUNT}:user/${name('UserName')}`;
    case 'AWS::KMS::Key':
    case 'AWS::KMS::ReplicaKey': return `arn:aws:kms:${REGION}:${THIS_ACCOUNT}:key/${stackName}-${logicalId}`;
    default: return undefined;
  }
}
