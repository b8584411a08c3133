/**
 * Recognising principals by what they resolve to, whatever class they were given as: the account
 * root of the key's own account (AccountRootPrincipal, AccountPrincipal(own account), an ArnPrincipal
 * of `arn:<partition>:iam::<account>:root`, or the bare account id), and service principals.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The principal's `AWS` entries, resolved and flattened to strings (`${AWS::AccountId}` for Refs). */
export function awsPrincipalStrings(principal: iam.IPrincipal, stack: Stack): string[] {
  const json = stack.resolve(principal.policyFragment.principalJson) ?? {};
  const aws = json.AWS === undefined ? [] : Array.isArray(json.AWS) ? json.AWS : [json.AWS];
  return aws.map(flatten);
}

/** Whether the principal is (or includes) the account root of the stack's own account. */
export function isOwnAccountRoot(principal: iam.IPrincipal, stack: Stack): boolean {
  const accounts = new Set(['${AWS::AccountId}', ...(Token.isUnresolved(stack.account) ? [] : [stack.account])]);
  return awsPrincipalStrings(principal, stack).some((value) => {
    const root = /^arn:(?:\$\{[^}]*\}|[^:]+):iam::([^:]+):root$/.exec(value);
    return accounts.has(root ? root[1] : value);
  });
}

/** Whether the principal names an AWS service (`Service` in the policy). */
export function isServicePrincipal(principal: iam.IPrincipal): boolean {
  return principal.policyFragment.principalJson.Service !== undefined;
}

/** A resolved CloudFormation value as one string: Refs become `${Name}`, Fn::Join is joined. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0] as [string, any];
      if (fn === 'Ref' && typeof arg === 'string') return `\${${arg}}`;
      if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) return arg[1].map(flatten).join(String(arg[0]));
    }
  }
  return JSON.stringify(value);
}
