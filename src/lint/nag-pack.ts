import { CfnResource, IAspect, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LintSeverity } from './finding';
import { ruleFindings } from './lint';
import { LoadedNagPack, NagEnums, NagRuleParams, newNagPack } from './nag-compat';
import { Rule, RuleContext, ruleContext } from './rule';
import { RULES } from './rules';
import { CfnResource as CfnResourceJson } from './template';

const PACK_NAME = 'KmsPatterns';
const LINTED_TYPES = new Set(RULES.flatMap((rule) => rule.resourceTypes));

/**
 * Properties of `KmsPatternsChecks`: cdk-nag's `NagPackProps` of the installed major.
 */
export interface KmsPatternsChecksProps {
  /**
   * Include each rule's explanation (its fix) in the messages.
   * @default false
   */
  readonly verbose?: boolean;
  /**
   * cdk-nag 2 only: log suppressed findings too.
   * @default false
   */
  readonly logIgnores?: boolean;
  /**
   * cdk-nag 2 only: write the pack's compliance report to the cloud assembly.
   * @default true
   */
  readonly reports?: boolean;
  /**
   * cdk-nag 2 only: further `INagLogger`s that receive every result.
   * @default - none
   */
  readonly additionalLoggers?: any[];
}

/**
 * The key-policy lint rules as a cdk-nag rule pack, for cdk-nag 2 and 3 (whichever is installed;
 * the library itself loads without cdk-nag):
 *
 * - cdk-nag 2: `Aspects.of(app).add(new KmsPatternsChecks())`; suppress a finding with
 *   `NagSuppressions.addResourceSuppressions(key, [{ id: 'KmsPatterns-KMS5', reason: '...' }])`,
 *   optionally narrowed with `appliesTo` to a finding such as `Properties.KeyPolicy.Statement.2`.
 * - cdk-nag 3: `Validations.of(app).addPlugins(new KmsPatternsChecks())` (aws-cdk-lib versions
 *   that hand plugins the construct tree), or `validateScope(app)`; cdk-nag 3 acknowledges each
 *   finding by its id: `Validations.of(key).acknowledge({ id: 'KmsPatterns-KMS5[Properties.KeyPolicy]', reason: '...' })`.
 *
 * Rule ids are `KmsPatterns-KMS1` … `KmsPatterns-KMS14` (see `KeyPolicyLinter.rules()`; KMS13 compares templates and is not in the pack).
 */
export class KmsPatternsChecks implements IAspect, IPolicyValidationPlugin {
  /** The pack's name: the prefix of its rule ids and its name in validation reports. */
  public readonly name = PACK_NAME;
  /** Ids of the rules this pack evaluates. */
  public readonly ruleIds?: string[] = RULES.map((rule) => `${PACK_NAME}-${rule.id}`);
  private readonly pack: LoadedNagPack;

  /** @throws when cdk-nag is not installed, naming the fix. */
  constructor(props: KmsPatternsChecksProps = {}) {
    this.pack = newNagPack(PACK_NAME, props, checkResource);
  }

  /** cdk-nag 2: called by `Aspects.of(app).add(pack)` for every construct. */
  public visit(node: IConstruct): void {
    if (this.pack.major !== 2) {
      throw new Error(`${node.node.path}: with cdk-nag 3, register the pack as a validation plugin: ` +
        'Validations.of(app).addPlugins(new KmsPatternsChecks()) instead of Aspects.of(app).add(...).');
    }
    this.pack.visit(node);
  }

  /** cdk-nag 3: called by the CDK for `Validations.of(app).addPlugins(pack)`. */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.nag3('validate').validate(context);
  }

  /** cdk-nag 3: checks every resource under `scope` directly (tests, or aws-cdk-lib versions that do not pass the construct tree to plugins). */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return this.nag3('validateScope').validateScope(scope);
  }

  private nag3(method: string) {
    if (this.pack.major !== 3) {
      throw new Error(`KmsPatternsChecks.${method}() is the cdk-nag 3 entry point; with cdk-nag 2 use Aspects.of(app).add(new KmsPatternsChecks()), ` +
        'or KmsPatternsValidator as a validation plugin.');
    }
    return this.pack;
  }
}

/** Applies every rule for the resource's type, once per severity it reports. */
function checkResource(node: CfnResource, applyRule: (params: NagRuleParams) => void, nag: NagEnums): void {
  if (!LINTED_TYPES.has(node.cfnResourceType)) return;
  const levels: Record<LintSeverity, string> = {
    [LintSeverity.ERROR]: nag.NagMessageLevel.ERROR,
    [LintSeverity.WARNING]: nag.NagMessageLevel.WARN,
  };
  const context = resolvedContext(node);
  for (const rule of RULES) {
    if (!rule.resourceTypes.includes(node.cfnResourceType)) continue;
    const severities = rule.alsoWarns ? [rule.severity, LintSeverity.WARNING] : [rule.severity];
    for (const severity of severities) {
      applyRule({
        ruleSuffixOverride: rule.id,
        info: `${rule.name}: ${rule.description}`,
        explanation: `Fix: ${rule.fix}`,
        level: levels[severity],
        node,
        rule: nagRule(rule, severity, context, nag),
      });
    }
  }
}

/** The resource as CloudFormation JSON (tokens resolved to intrinsics), ready for the pure rules. */
function resolvedContext(node: CfnResource): RuleContext {
  const stack = Stack.of(node);
  const logicalId: string = stack.resolve(node.logicalId);
  const rendered = stack.resolve((node as any)._toCloudFormation()) as { Resources: Record<string, CfnResourceJson> };
  return ruleContext(logicalId, rendered.Resources[logicalId], rendered);
}

/** A cdk-nag rule callback reporting one rule's findings of one severity, each with its own finding id. */
function nagRule(rule: Rule, severity: LintSeverity, context: RuleContext, nag: NagEnums) {
  const check = (_node: CfnResource) => {
    const findings = ruleFindings(rule, context).filter((finding) => finding.severity === severity);
    if (findings.length === 0) return nag.NagRuleCompliance.COMPLIANT;
    return [...new Set(findings.map((finding) => finding.location ?? 'resource'))];
  };
  Object.defineProperty(check, 'name', { value: rule.id });
  return check;
}
