import { CfnResource, IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * cdk-nag is an optional peer: this module loads whichever major is installed, only when a pack is
 * made, so the library loads without it. The two majors share the rule callback and `applyRule`
 * parameters; they differ in how a pack runs (2: an Aspect's `visit`; 3: a policy-validation
 * plugin calling `checkResource`) and in the constructor (3 takes a scope first).
 */

/** The parameters of `applyRule`, the same in cdk-nag 2 and 3. */
export interface NagRuleParams {
  readonly ruleSuffixOverride: string;
  readonly info: string;
  readonly explanation: string;
  readonly level: string;
  readonly node: CfnResource;
  readonly rule: (node: CfnResource) => string | string[];
}

/** What the rule callbacks need of either major: its level and compliance values. */
export interface NagEnums {
  readonly NagMessageLevel: { readonly WARN: string; readonly ERROR: string };
  readonly NagRuleCompliance: { readonly COMPLIANT: string };
}

/** A loaded pack, whichever major made it. */
export type LoadedNagPack =
  | { readonly major: 2; readonly visit: (node: IConstruct) => void }
  | {
    readonly major: 3;
    readonly validate: (context: IPolicyValidationContext) => PolicyValidationPluginReport;
    readonly validateScope: (scope: IConstruct) => PolicyValidationPluginReport;
  };

/** cdk-nag 2's NagPack as this module uses it. */
declare abstract class Nag2PackBase {
  protected packName: string;
  constructor(props?: object);
  public abstract visit(node: IConstruct): void;
  protected applyRule(params: NagRuleParams): void;
}

/** cdk-nag 3's NagPack as this module uses it (its types are not installed here). */
declare abstract class Nag3PackBase {
  public abstract readonly name: string;
  protected packName: string;
  constructor(scope?: IConstruct, props?: object);
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport;
  public validateScope(scope: IConstruct): PolicyValidationPluginReport;
  protected abstract checkResource(node: CfnResource): void;
  protected applyRule(params: NagRuleParams): void;
}

type CdkNagModule = NagEnums & { readonly NagPack: unknown; readonly NagSuppressions?: unknown };

/** The installed cdk-nag, or a clear error naming the fix. */
function loadCdkNag(): CdkNagModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('cdk-nag');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /['"]cdk-nag['"]/.test((error as Error).message)) {
      throw new Error('KmsPatternsChecks needs cdk-nag 2.38+ or 3.0+ installed (npm install --save-dev cdk-nag). ' +
        'KmsPatternsValidator runs the same rules as a policy-validation plugin without cdk-nag.');
    }
    throw error;
  }
}

/**
 * Makes a pack named `packName` from the installed cdk-nag that calls `check` on every
 * CloudFormation resource.
 */
export function newNagPack(
  packName: string,
  props: object,
  check: (node: CfnResource, applyRule: (params: NagRuleParams) => void, nag: NagEnums) => void,
): LoadedNagPack {
  const nag = loadCdkNag();
  if (nag.NagSuppressions !== undefined) {
    const Base = nag.NagPack as typeof Nag2PackBase;
    class Pack extends Base {
      constructor() {
        super(props);
        this.packName = packName;
      }
      public visit(node: IConstruct): void {
        if (CfnResource.isCfnResource(node)) check(node, (params) => this.applyRule(params), nag);
      }
    }
    const pack = new Pack();
    return { major: 2, visit: (node) => pack.visit(node) };
  }
  const Base = nag.NagPack as typeof Nag3PackBase;
  if (typeof Base?.prototype?.validateScope !== 'function') {
    throw new Error('KmsPatternsChecks supports cdk-nag 2.38+ and 3.0+; the installed cdk-nag has neither API.');
  }
  class Pack extends Base {
    public readonly name = packName;
    constructor() {
      super(undefined, props);
      this.packName = packName;
    }
    protected checkResource(node: CfnResource): void {
      check(node, (params) => this.applyRule(params), nag);
    }
  }
  const pack = new Pack();
  return { major: 3, validate: (context) => pack.validate(context), validateScope: (scope) => pack.validateScope(scope) };
}
