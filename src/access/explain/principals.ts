/**
 * Turns resolved template values into concrete evaluator input: the template's own account
 * (`${AWS::AccountId}`, or the literal account of its environment) becomes one placeholder account,
 * the partition `aws`, and the Region stays `${AWS::Region}`; `Fn::GetAtt` of roles, users and keys
 * in the loaded templates become synthetic ARNs, and any other unresolved principal gets a
 * synthetic ARN of its own so it still shows up as one row of the matrix. Display text maps the
 * placeholder back.
 */
import { CfnTemplate, isOpaque, isPlainObject, Opaque, Resolved } from '../../lint/template';

/** Placeholder for the account the templates deploy to (a 12-digit id, as ARNs need one). */
export const THIS_ACCOUNT = '000000000000';
const ACCOUNT_TOKEN = '${AWS::AccountId}';
const REGION_TOKEN = '${AWS::Region}';
const URL_SUFFIX_TOKEN = '${AWS::URLSuffix}';

/** The domain suffix of a Region's endpoints (`AWS::URLSuffix`), by partition. */
function urlSuffixOf(region: string): string {
  const suffixes: [RegExp, string][] = [
    [/^cn-/, 'amazonaws.com.cn'],
    [/^us-iso-/, 'c2s.ic.gov'],
    [/^us-isob-/, 'sc2s.sgov.gov'],
    [/^us-isof-/, 'csp.hci.ic.gov'],
    [/^eu-isoe-/, 'cloud.adc-e.uk'],
  ];
  return suffixes.find(([pattern]) => pattern.test(region))?.[1] ?? 'amazonaws.com';
}

const OWN_ACCOUNT = tokenPattern(THIS_ACCOUNT);

/** A template loaded for explain. */
export interface ExplainInput {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The account the stack deploys to, when the template spells it literally (CDK stacks with an `env`). */
  readonly account?: string;
  /** The Region the stack deploys to, when the template spells it literally. */
  readonly region?: string;
}

/** `value` as a whole token: not inside a longer run of letters and digits. */
function tokenPattern(value: string): RegExp {
  return new RegExp(`(^|[^0-9A-Za-z])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[^0-9A-Za-z])`, 'g');
}

/** Resources of the loaded templates that a policy may refer to with Ref / Fn::GetAtt. */
export class ResourceNames {
  private readonly arnByRef = new Map<string, string>();
  private readonly opaqueArns = new Map<string, string>();
  private readonly displayNames = new Map<string, string>();

  private readonly stackName: string;
  private readonly account?: string;
  private readonly region?: string;
  private readonly replacements: [RegExp, string][] = [];

  constructor(input: ExplainInput) {
    this.stackName = input.stackName;
    this.account = input.account;
    this.region = input.region;
    if (input.account) this.replacements.push([tokenPattern(input.account), `$1${THIS_ACCOUNT}`]);
    if (input.region) this.replacements.push([tokenPattern(input.region), `$1${REGION_TOKEN}`]);
    this.replacements.push([/\$\{AWS::AccountId\}/g, THIS_ACCOUNT], [/\$\{AWS::Partition\}/g, 'aws']);
    for (const [logicalId, resource] of Object.entries(input.template.Resources ?? {})) {
      const arn = syntheticArn(input.stackName, logicalId, resource.Type, resource.Properties);
      if (arn) this.arnByRef.set(logicalId, arn);
    }
  }

  /** The synthetic ARN of a role, user or key of this template, by logical id. */
  public arnOf(logicalId: string): string | undefined {
    return this.arnByRef.get(logicalId);
  }

  /** Replaces pseudo parameters and `Fn::GetAtt X.Arn` of known resources, everywhere in `value`. */
  public concretize(value: Resolved): Resolved {
    if (typeof value === 'string') return this.normalise(value);
    if (isOpaque(value)) {
      const ref = value.ref;
      const known = ref && (ref.attribute === 'Arn' || ref.attribute === undefined) ? this.arnByRef.get(ref.logicalId) : undefined;
      if (known && ref?.attribute === 'Arn') return known;
      return new Opaque(this.normalise(value.text), value.ref);
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

  /**
   * What the template says: the unresolved expression behind a synthetic ARN, the own account as in
   * the template; with a known environment, its account, Region and URL suffix spelled out.
   */
  public displayName(text: string): string {
    const known = this.displayNames.get(text);
    if (known !== undefined) return known;
    const shown = text.replace(OWN_ACCOUNT, `$1${this.account ?? ACCOUNT_TOKEN}`);
    if (this.region === undefined) return shown;
    return shown.split(REGION_TOKEN).join(this.region).split(URL_SUFFIX_TOKEN).join(urlSuffixOf(this.region));
  }

  private normalise(text: string): string {
    return this.replacements.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
  }
}

function syntheticArn(stackName: string, logicalId: string, type: string, properties: Record<string, unknown> = {}): string | undefined {
  const name = (key: string) => (typeof properties[key] === 'string' ? (properties[key] as string) : `${stackName}-${logicalId}`);
  switch (type) {
    case 'AWS::IAM::Role': return `arn:aws:iam::${THIS_ACCOUNT}:role/${name('RoleName')}`;
    case 'AWS::IAM::User': return `arn:aws:iam::${THIS_ACCOUNT}:user/${name('UserName')}`;
    case 'AWS::KMS::Key':
    case 'AWS::KMS::ReplicaKey':
    case 'Custom::KmsCustomStoreKey': return `arn:aws:kms:${REGION_TOKEN}:${THIS_ACCOUNT}:key/${stackName}-${logicalId}`;
    default: return undefined;
  }
}
