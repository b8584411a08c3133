import * as iam from 'aws-cdk-lib/aws-iam';
import { ConditionBlock } from './conditions';

/** What a KeyService puts in the key policy (internal: not exported from the package). */
export interface ServiceAccess {
  readonly principal: iam.IPrincipal;
  readonly actions: string[];
  readonly conditions: ConditionBlock;
}
