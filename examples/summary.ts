/**
 * Prints what the policy model says about every ManagedKey and ReplicaKey of an app: aliases,
 * rotation, and a table of principals and what each may do; for a multi-Region key, whether its
 * primary and replicas give the same principals the same capabilities.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { CustomStoreKey, ManagedKey, MultiRegionKey, ReplicaKey } from '../src';
import { CAPABILITIES } from '../src/access/explain/capabilities';
import { CREATE_GRANT_GUARD_SID } from '../src/key/policy-model';

/** Who a principal is, in words a reviewer recognises. */
function principalLabel(principal: iam.IPrincipal, stack: Stack): string {
  if (principal instanceof iam.AccountRootPrincipal) return 'account root (delegates to IAM)';
  if (principal instanceof iam.AnyPrincipal) return 'anyone';
  if (Construct.isConstruct(principal)) return principal.node.path;
  const json = stack.resolve(principal.policyFragment.principalJson);
  const text = [json.AWS, json.Service].flat().filter((v) => v !== undefined).map(readable).join(', ');
  return text.includes('cfn-exec-role') ? 'CloudFormation execution role' : text;
}

/** A resolved CloudFormation value as text, with `${Ref}` placeholders for intrinsics. */
function readable(value: any): string {
  if (typeof value === 'string') return value;
  if (value?.Ref) return `\${${value.Ref}}`;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(readable).join(value['Fn::Join'][0]);
  if (value?.['Fn::Sub']) return String(value['Fn::Sub']);
  if (value?.['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  return JSON.stringify(value);
}

function conditionKeys(statement: iam.PolicyStatement): string[] {
  return Object.values(statement.conditions as Record<string, Record<string, unknown>>).flatMap((keys) => Object.keys(keys));
}

/**
 * One row per principal: capability label -> cell text. A principal may do what any of its
 * statements allows; a cell without conditions wins over conditional ones.
 */
function accessRows(key: SummarizedKey): Map<string, Map<string, string>> {
  const stack = Stack.of(key);
  // Keys in custom key stores are always symmetric encryption keys.
  const { keySpec, keyUsage } = key instanceof CustomStoreKey ? { keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT } : key;
  const symmetric = keySpec === kms.KeySpec.SYMMETRIC_DEFAULT;
  const rows = new Map<string, Map<string, string>>();
  for (const statement of key.policyStatements()) {
    if (statement.effect !== iam.Effect.ALLOW) continue;
    const granted = (action: string) => statement.actions.includes(action) || statement.actions.includes('kms:*');
    const conditions = conditionKeys(statement);
    for (const principal of statement.principals) {
      const row = rows.get(principalLabel(principal, stack)) ?? new Map<string, string>();
      for (const capability of CAPABILITIES) {
        if (capability.usages && !capability.usages.includes(keyUsage)) continue;
        if (!capability.actions(symmetric).some(granted)) continue;
        const cell = conditions.length > 0 ? `if ${conditions.join(' & ')}` : 'yes';
        const before = row.get(capability.label);
        row.set(capability.label, before === undefined ? cell : before === 'yes' || cell === 'yes' ? 'yes' : `${before} or ${cell.slice(3)}`);
      }
      rows.set(principalLabel(principal, stack), row);
    }
  }
  // The CreateGrant guard (a conditional Deny) narrows every grant to AWS resources.
  const guarded = key.policyStatements().some((s) => s.sid === CREATE_GRANT_GUARD_SID);
  for (const row of guarded ? rows.values() : []) {
    if (row.has('create grant')) row.set('create grant', 'for AWS resources only');
  }
  return rows;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The summary of every ManagedKey, ReplicaKey and CustomStoreKey under `scope`, as text. */
export function summarizeKeys(scope: IConstruct): string {
  const keys = scope.node.findAll().filter((c): c is SummarizedKey =>
    c instanceof ManagedKey || c instanceof ReplicaKey || c instanceof CustomStoreKey);
  const sections = keys.map((key) => {
    const rows = accessRows(key);
    const columns = CAPABILITIES.map((c) => c.label).filter((label) => [...rows.values()].some((row) => row.has(label)));
    return [
      `## ${key.node.path}`,
      keyFacts(key),
      '',
      table(['principal', ...columns], [...rows].map(([principal, row]) => [principal, ...columns.map((c) => row.get(c) ?? '')])),
      '',
    ].join('\n');
  });
  const multiRegion = keys.filter((k): k is MultiRegionKey => k instanceof MultiRegionKey && k.replicas.length > 0).map(sameEverywhere);
  return [...sections, ...multiRegion].join('\n');
}

type SummarizedKey = ManagedKey | ReplicaKey | CustomStoreKey;

/** The line under a key's heading: aliases, spec, posture, rotation, and where its material lives. */
function keyFacts(key: SummarizedKey): string {
  if (key instanceof CustomStoreKey) {
    const external = key.xksKeyId ? `   external key: ${key.xksKeyId} (in the HSM behind the XKS proxy)` : '';
    return `aliases: ${key.aliases.join(', ') || '(none)'}   spec: SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT   posture: ${key.posture}` +
      `   key store: ${key.keyStore.keyStoreType} ${key.keyStore.node.path}${external}   rotation: off (custom key stores cannot rotate)`;
  }
  const facts = `aliases: ${key.aliases.join(', ') || '(none)'}   spec: ${key.keySpec}/${key.keyUsage}   posture: ${key.posture}`;
  if (key instanceof ReplicaKey) return `${facts}   rotation: with its primary   replica in ${key.region}`;
  const rotation = key.rotationEnabled ? `every ${key.rotationPeriodDays} days` : 'off (this key spec cannot rotate)';
  return `${facts}   rotation: ${rotation}${key.multiRegion ? '   multi-Region primary' : ''}`;
}

/** Whether the primary and every replica give the same principals the same capabilities. */
function sameEverywhere(key: MultiRegionKey): string {
  const text = (k: SummarizedKey) => JSON.stringify([...accessRows(k)].map(([p, row]) => [p, [...row].sort()]).sort());
  const primary = text(key);
  const regions = [Stack.of(key).region, ...key.replicas.map((r) => r.region)];
  const differing = key.replicas.filter((replica) => text(replica) !== primary).map((r) => r.region);
  return [
    `## ${key.node.path} in ${regions.length} Regions (${regions.join(', ')})`,
    differing.length === 0
      ? `The ${regions.length} key policies give the same principals the same capabilities (kms:ViaService endpoints name each key's own Region).`
      : `The key policies differ from the primary's in ${differing.join(', ')}.`,
    '',
  ].join('\n');
}
