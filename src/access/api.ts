/**
 * The public (jsii) face of explain: who can do what with every key of synthesized templates, as
 * `cdk-kms-patterns explain` computes it. The demo's summary uses it; so can a platform team's tests.
 */
import { Cell } from './explain/cell';
import { explainTemplates } from './explain/model';

/** How far a principal may use one capability of a key. */
export enum KeyAccessStatus {
  /** Every action of the capability, with no condition. */
  ALLOWED = 'allowed',
  /** Every action, when the listed conditions hold. */
  CONDITIONAL = 'conditional',
  /** Some of the actions (listed), possibly under conditions. */
  PARTIAL = 'partial',
  /** None of the actions. */
  DENIED = 'denied',
  /** The key's usage has no such operation. */
  NOT_APPLICABLE = 'not-applicable',
}

/** One cell of the access matrix. */
export interface KeyAccessCell {
  /** Capability id: administer, change-policy, delete, disable, encrypt, decrypt, sign, verify, mac, derive, create-grant. */
  readonly capability: string;
  /** The capability as a column title, e.g. `create grant`. */
  readonly label: string;
  readonly status: KeyAccessStatus;
  /** Only through the account-root statement: the principal's IAM policies decide. */
  readonly viaIam: boolean;
  /** The principal's own account (another one) must allow it in IAM too. */
  readonly crossAccount: boolean;
  /** Conditions the access depends on (`not (...)` for a conditional deny). */
  readonly conditions: string[];
  /** The actions allowed (all of the capability's except for PARTIAL). */
  readonly allowedActions: string[];
}

/** One principal's row. */
export interface KeyAccessRow {
  /** The principal: construct path (or `<stack>/<logical id>`), ARN, `service ...`, `account ...`, `this account (root)`, ... */
  readonly principal: string;
  /** `key-policy` (named there), `iam-policy` (a role or user of the templates reaching the key through IAM) or `account-iam`. */
  readonly source: string;
  /** One cell per capability, in column order. */
  readonly cells: KeyAccessCell[];
}

/** Who can do what with one key. */
export interface KeyAccessMatrix {
  readonly stackName: string;
  readonly logicalId: string;
  /**
   * The key's construct path, when the template has path metadata.
   * @default - none
   */
  readonly constructPath?: string;
  readonly resourceType: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly rows: KeyAccessRow[];
}

/** A synthesized template to explain. */
export interface KeyAccessTemplate {
  readonly stackName: string;
  /** The CloudFormation template (JSON object). */
  readonly template: any;
  /**
   * The account the stack deploys to, when the template spells it literally (stacks with an `env`).
   * @default - `${AWS::AccountId}` is the own account
   */
  readonly account?: string;
  /**
   * The Region the stack deploys to, when the template spells it literally.
   * @default - `${AWS::Region}`
   */
  readonly region?: string;
}

/** Who can do what with each KMS key, from our key-policy evaluator (as `cdk-kms-patterns explain`). */
export class KeyAccessExplainer {
  /** The access matrix of every key (AWS::KMS::Key, AWS::KMS::ReplicaKey) in the templates, all deploying to one account. */
  public static explainTemplates(templates: KeyAccessTemplate[]): KeyAccessMatrix[] {
    const report = explainTemplates(templates.map((t) => ({ stackName: t.stackName, template: t.template, account: t.account, region: t.region })));
    return report.keys.map((key) => ({
      stackName: key.stackName,
      logicalId: key.logicalId,
      constructPath: key.constructPath,
      resourceType: key.resourceType,
      keySpec: key.keySpec,
      keyUsage: key.keyUsage,
      rows: key.rows.map((row) => ({
        principal: row.principal,
        source: row.source,
        cells: report.capabilities.map(({ id, label }) => publicCell(id, label, row.cells[id])),
      })),
    }));
  }

  private constructor() {}
}

function publicCell(capability: string, label: string, cell: Cell): KeyAccessCell {
  return {
    capability,
    label,
    status: cell.status as KeyAccessStatus,
    viaIam: cell.via === 'iam',
    crossAccount: cell.via === 'cross-account',
    conditions: [...cell.conditions],
    allowedActions: [...cell.allowedActions],
  };
}
