/**
 * JSON output of `diff`: the diff model under a versioned envelope. schemas/diff-report.v1.json is
 * its JSON Schema; a new field is a minor change within v1, a changed or removed one a new version.
 */
import * as path from 'node:path';
import { DiffOutput } from './common';

export const DIFF_REPORT_SCHEMA_VERSION = 1;

export function formatDiffJson({ result, verdict, base, head, allow }: DiffOutput, cwd: string = process.cwd()): string {
  const changes = result.keys.flatMap((key) => key.changes);
  const report = {
    schemaVersion: DIFF_REPORT_SCHEMA_VERSION,
    tool: 'cdk-kms-patterns diff',
    verdict: {
      kind: verdict.kind,
      failing: verdict.failing,
      failOn: verdict.failOn,
      allow,
    },
    summary: {
      keysCompared: result.keysCompared,
      keysChanged: result.keys.length,
      keysAdded: result.keys.filter((k) => !k.base).length,
      keysRemoved: result.keys.filter((k) => !k.head).length,
      moreAccess: changes.filter((c) => c.effect === 'more-access').length,
      acceptedAccess: verdict.acceptedAccess.length,
      lessAccess: verdict.lessAccess.length,
      weaker: verdict.weaker.length,
      findingsAdded: result.findingsAdded.length,
      findingsResolved: result.findingsResolved.length,
    },
    inputs: {
      base: base.map((t) => ({ stackName: t.stackName, templatePath: path.relative(cwd, t.templatePath) })),
      head: head.map((t) => ({ stackName: t.stackName, templatePath: path.relative(cwd, t.templatePath) })),
    },
    capabilities: result.capabilities,
    keys: result.keys,
    findings: { added: result.findingsAdded, resolved: result.findingsResolved },
  };
  return JSON.stringify(report, undefined, 2) + '\n';
}
