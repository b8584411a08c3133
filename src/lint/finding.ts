/**
 * How serious a lint finding is.
 */
export enum LintSeverity {
  /** The key policy or resource is unsafe or broken: fix it before merging. */
  ERROR = 'error',
  /** A weaker practice that a reviewer should look at. */
  WARNING = 'warning',
}

/**
 * One problem that a key-policy lint rule found in a CloudFormation resource.
 */
export interface LintFinding {
  /** The rule's id, e.g. `KMS1`. */
  readonly ruleId: string;
  /** How serious the finding is. */
  readonly severity: LintSeverity;
  /** What is wrong, in one line. */
  readonly message: string;
  /** How to fix it, in one line. */
  readonly fix: string;
  /** Logical id of the resource in its template. */
  readonly logicalId: string;
  /** CloudFormation type of the resource, e.g. `AWS::KMS::Key`. */
  readonly resourceType: string;
  /**
   * Construct path of the resource (its `aws:cdk:path` metadata), when the template came from the CDK.
   * @default - no construct path (hand-written template)
   */
  readonly path?: string;
  /**
   * Where in the resource the problem is, e.g. `Properties.KeyPolicy.Statement.2`.
   * @default - the resource as a whole
   */
  readonly location?: string;
}
