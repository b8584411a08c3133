/**
 * Prints, for every key of an app (ManagedKey, ReplicaKey, CustomStoreKey), its aliases, rotation,
 * posture and key store (from the construct) and who may do what with it: the access matrix of the
 * synthesized template, from the same public API and evaluator as `cdk-kms-patterns explain` (so
 * the two never disagree); for a multi-Region key, whether its primary and replicas give the same
 * principals the same capabilities.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  CustomStoreKey, KeyAccessCell, KeyAccessExplainer, KeyAccessMatrix, KeyAccessStatus, ManagedKey, MultiRegionKey, ReplicaKey,
} from '../src';

type SummarizedKey = ManagedKey | ReplicaKey | CustomStoreKey;

/** A condition in a few words: the CreateGrant guard by its meaning, others without their operator. */
function conditionText(condition: string): string {
  if (/kms:GrantIsForAWSResource/i.test(condition)) return 'for AWS resources only';
  return condition.replace(/^not \((.*)\)$/, 'not $1').replace(/(^|not |AND )[A-Za-z:]+ (?=\S+ = )/g, '$1');
}

function cellText(cell: KeyAccessCell): string {
  const via = cell.viaIam ? ' via IAM' : cell.crossAccount ? ' cross-account' : '';
  const texts = cell.conditions.map(conditionText);
  const conditions = texts.length === 0 ? '' : ` ${texts.every((t) => t.startsWith('for ')) ? '' : 'if '}${texts.join(' & ')}`;
  switch (cell.status) {
    case KeyAccessStatus.ALLOWED: return `yes${via}`;
    case KeyAccessStatus.CONDITIONAL: return `${conditions.trim()}${via}`;
    case KeyAccessStatus.PARTIAL: return `partly (${cell.allowedActions.join(', ')})${conditions}${via}`;
    default: return '';
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The matrices of every key in the app's synthesized stacks, by stack name and logical id. */
function matrices(app: App): Map<string, KeyAccessMatrix> {
  const templates = app.synth().stacks.map((stack) => ({
    stackName: stack.stackName,
    template: stack.template,
    account: /^\d{12}$/.test(stack.environment.account) ? stack.environment.account : undefined,
    region: /^[a-z]{2}(-[a-z]+)+-\d$/.test(stack.environment.region) ? stack.environment.region : undefined,
  }));
  return new Map(KeyAccessExplainer.explainTemplates(templates).map((m) => [`${m.stackName}/${m.logicalId}`, m]));
}

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

/** The matrix of a key in the synthesized app. */
function matrixOf(key: SummarizedKey, byKey: Map<string, KeyAccessMatrix>): KeyAccessMatrix | undefined {
  const stack = Stack.of(key);
  const resource = key instanceof CustomStoreKey ? key.resource.node.defaultChild as CfnResource : key.resource;
  return byKey.get(`${stack.stackName}/${stack.getLogicalId(resource)}`);
}

/** A matrix's rows as text: [principal, cell, ...]. */
function rowTexts(matrix: KeyAccessMatrix | undefined): string[][] {
  return (matrix?.rows ?? []).map((row) => [row.principal, ...row.cells.map(cellText)]);
}

/** The summary of every key under `scope` (an app), as text. */
export function summarizeKeys(scope: IConstruct): string {
  const byKey = matrices(scope.node.root as App);
  const keys = scope.node.findAll().filter((c): c is SummarizedKey =>
    c instanceof ManagedKey || c instanceof ReplicaKey || c instanceof CustomStoreKey);
  const sections = keys.map((key) => {
    const matrix = matrixOf(key, byKey);
    const rows = rowTexts(matrix);
    const labels = matrix?.rows[0]?.cells.map((c) => c.label) ?? [];
    // Only the columns someone has.
    const shown = labels.map((_, i) => i).filter((i) => rows.some((row) => row[i + 1] !== ''));
    return [
      `## ${key.node.path}`,
      keyFacts(key),
      '',
      table(['principal', ...shown.map((i) => labels[i])], rows.map((row) => [row[0], ...shown.map((i) => row[i + 1])])),
      '',
    ].join('\n');
  });
  const multiRegion = keys.filter((k): k is MultiRegionKey => k instanceof MultiRegionKey && k.replicas.length > 0)
    .map((key) => sameEverywhere(key, byKey));
  return [...sections, ...multiRegion].join('\n');
}

/** Whether the primary and every replica give the same principals the same capabilities. */
function sameEverywhere(key: MultiRegionKey, byKey: Map<string, KeyAccessMatrix>): string {
  // Region-specific condition values (kms:ViaService endpoints) aside.
  const text = (k: SummarizedKey) => JSON.stringify(rowTexts(matrixOf(k, byKey))
    .map((row) => row.map((cell) => cell.replace(/[a-z]{2}(-[a-z]+)+-\d/g, '<region>'))).sort());
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
