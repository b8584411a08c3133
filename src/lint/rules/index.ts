/** Every key-policy lint rule, in id order. */
import { Rule } from '../rule';
import { broadActions, createGrantGuard, policyLockout, separationOfDuties } from './actions';
import { trailRecordsKms } from './cloudtrail';
import { forAllValuesWithoutContext } from './conditions';
import { deletionProtection, rotation } from './lifecycle';
import { servicePrincipalWithoutSource, wildcardPrincipal } from './principals';
import { policySize, statementResource, unresolvedPolicy } from './structure';

export const RULES: readonly Rule[] = [
  wildcardPrincipal,
  broadActions,
  separationOfDuties,
  rotation,
  createGrantGuard,
  servicePrincipalWithoutSource,
  forAllValuesWithoutContext,
  statementResource,
  policySize,
  policyLockout,
  deletionProtection,
  trailRecordsKms,
  unresolvedPolicy,
];
