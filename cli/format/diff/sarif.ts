/**
 * SARIF 2.1.0 output of `diff`, for code scanning: a result per change that gives more access
 * (error; note when an --allow rule accepts it) or weakens protection (warning), and per new lint
 * finding (at its severity), located at the key's logical id in the HEAD template (BASE for a
 * removed key).
 */
import * as path from 'node:path';
import { DiffOutput, keyRefOf } from './common';
import { Change, ChangeKind } from '../../../src/access/diff';
import { RULES } from '../../../src/lint/rules';
import type { LoadedTemplate } from '../../load';

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The diff's own rules: one per kind of change that a result can report. */
const DIFF_RULES: readonly { readonly kind: ChangeKind; readonly text: string }[] = [
  { kind: 'access-gained', text: 'A principal gains a capability on a KMS key.' },
  { kind: 'conditions-widened', text: 'A condition that limited a principal\'s use of a KMS key is removed or changed.' },
  { kind: 'posture-changed', text: 'The key policy now lets IAM policies of the account grant use of the key.' },
  { kind: 'rotation-changed', text: 'Automatic rotation of the key is turned off or its period lengthened.' },
  { kind: 'deletion-protection-changed', text: 'The key\'s deletion protection is lowered (DeletionPolicy, UpdateReplacePolicy, pending window).' },
  { kind: 'key-removed', text: 'A key is removed, and its key material will be deleted.' },
  { kind: 'key-replaced', text: 'A change replaces the key (new key material), and the old key will be deleted.' },
];

const ruleIdOf = (kind: ChangeKind) => `diff/${kind}`;

export function formatDiffSarif({ result, head, base }: DiffOutput, cwd: string = process.cwd()): string {
  const rules = [
    ...DIFF_RULES.map(({ kind, text }) => ({ id: ruleIdOf(kind), name: pascalCase(kind), shortDescription: { text }, defaultConfiguration: { level: kind === 'access-gained' || kind === 'conditions-widened' ? 'error' : 'warning' } })),
    ...RULES.map((rule) => ({ id: rule.id, name: pascalCase(rule.name), shortDescription: { text: rule.name }, fullDescription: { text: rule.description }, help: { text: `Fix: ${rule.fix}` }, defaultConfiguration: { level: rule.severity } })),
  ];
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const templates = (side: readonly LoadedTemplate[]) => new Map(side.map((t) => [t.stackName, t]));
  const [headTemplates, baseTemplates] = [templates(head), templates(base)];
  const where = (stackName: string, logicalId: string, fromBase: boolean, qualifiedName: string) => {
    const template = (fromBase ? baseTemplates : headTemplates).get(stackName);
    const line = template?.lineOf(logicalId);
    return {
      ...(template ? {
        physicalLocation: {
          artifactLocation: { uri: relativeUri(cwd, template.templatePath), uriBaseId: 'SRCROOT' },
          ...(line ? { region: { startLine: line } } : {}),
        },
      } : {}),
      logicalLocations: [{ name: logicalId, fullyQualifiedName: qualifiedName, kind: 'resource' }],
    };
  };
  const reported = (change: Change) => change.effect === 'more-access' || change.effect === 'weaker';
  const results = [
    ...result.keys.flatMap((key) => {
      const ref = keyRefOf(key);
      return key.changes.filter(reported).map((change) => {
        const ruleId = ruleIdOf(change.kind);
        const level = change.effect === 'more-access' ? (change.allowedBy !== undefined ? 'note' : 'error') : 'warning';
        const accepted = change.allowedBy !== undefined ? ` (accepted by --allow ${change.allowedBy})` : '';
        return {
          ruleId,
          ruleIndex: ruleIndex.get(ruleId),
          level,
          message: { text: `${ref.logicalId}: ${change.summary}${accepted}` },
          locations: [where(ref.stackName, ref.logicalId, !key.head, `${ref.stackName}/${ref.constructPath ?? ref.logicalId}`)],
          partialFingerprints: { kmsPatternsDiff: [ref.stackName, ref.logicalId, change.kind, change.principal ?? '', change.capability ?? change.setting ?? ''].join('/') },
        };
      });
    }),
    ...result.findingsAdded.map((finding) => ({
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId),
      level: finding.severity,
      message: { text: `${finding.logicalId}: ${finding.message}. Fix: ${finding.fix}` },
      locations: [where(finding.stackName, finding.logicalId, false, finding.path ?? `${finding.stackName}/${finding.logicalId}`)],
      partialFingerprints: { kmsPatternsFinding: `${finding.stackName}/${finding.logicalId}/${finding.ruleId}/${finding.location ?? ''}` },
    })),
  ];
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'cdk-kms-patterns diff', rules } },
      originalUriBaseIds: { SRCROOT: { uri: pathToFileUri(cwd) + '/' } },
      results,
    }],
  };
  return JSON.stringify(sarif, undefined, 2) + '\n';
}

/** A relative URI with forward slashes (SARIF artifact locations are URIs, not OS paths). */
function relativeUri(cwd: string, file: string): string {
  return path.relative(cwd, file).split(path.sep).map(encodeURIComponent).join('/');
}

function pathToFileUri(dir: string): string {
  return 'file://' + path.resolve(dir).split(path.sep).map(encodeURIComponent).join('/');
}

function pascalCase(name: string): string {
  return name.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}
