import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CelEngine, version as validatorVersion, type Engine, type StandardDiagnostic } from '@aws/cloudformation-validate';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LintSeverity } from '../../src/lint/finding';
import { lintTemplate } from '../../src/lint/lint';
import { KEY_TYPES } from '../../src/lint/rule';

/** Diagnostics at these severities fail a test; INFO and WARN findings are advice, not errors. */
const FAILING_SEVERITIES = new Set(['ERROR', 'FATAL']);

/** Options for {@link validateTemplate} and {@link synthTemplate}. */
export interface ValidateOptions {
  /** Rule ids (e.g. 'E3012') to ignore; say why at the call site. */
  readonly ignoreRules?: string[];
  /** Our own lint rule ids (e.g. 'KMS3') whose errors a test builds on purpose; say why at the call site. */
  readonly acceptLintFindings?: string[];
}

/**
 * Synthesizes `stack`, validates the template with @aws/cloudformation-validate (AWS's offline
 * CloudFormation validator: resource schemas plus cfn-lint rules) and fails with the validator's
 * messages on any ERROR or FATAL diagnostic. Use it instead of `Template.fromStack` so every
 * template the tests synthesize is a template CloudFormation would accept.
 */
export function synthTemplate(stack: Stack, options: ValidateOptions = {}): Template {
  const template = Template.fromStack(stack);
  expectValidTemplate(template.toJSON(), options);
  expectKeysPassLint(template.toJSON(), options.acceptLintFindings);
  return template;
}

/**
 * Runs every rule of our linter over every KMS key and replica key of the template and throws on
 * any error-level finding: the library must never build a key policy its own rules reject, and
 * every key the test suite synthesizes passes through here (issue 10, item 3).
 */
export function expectKeysPassLint(templateJson: any, accepted: readonly string[] = []): void {
  const errors = lintTemplate(templateJson)
    .filter((f) => KEY_TYPES.includes(f.resourceType) && f.severity === LintSeverity.ERROR && !accepted.includes(f.ruleId));
  if (errors.length > 0) {
    throw new Error(`a KMS key fails our lint rules:\n${errors.map((f) => `  ${f.ruleId} ${f.path ?? f.logicalId}: ${f.message}`).join('\n')}`);
  }
}

/** Throws an Error listing every failing diagnostic of the validator, if there is one. */
export function expectValidTemplate(templateJson: object, options: ValidateOptions = {}): void {
  const failures = validateTemplate(templateJson, options);
  if (failures.length > 0) {
    throw new Error(`CloudFormation template is invalid:\n${failures.map(formatDiagnostic).join('\n')}`);
  }
}

/**
 * Returns the ERROR and FATAL diagnostics of @aws/cloudformation-validate for a template.
 * Results are cached by template hash: in memory, and for valid templates on disk (so a test file
 * whose templates were all validated before does not pay the ~2 s engine start-up).
 */
export function validateTemplate(templateJson: object, options: ValidateOptions = {}): StandardDiagnostic[] {
  const body = JSON.stringify(templateJson);
  const ignored = [...(options.ignoreRules ?? [])].sort();
  const hash = createHash('sha256').update(`${validatorVersion()}\n${ignored.join(',')}\n${body}`).digest('hex');
  const cached = memoryCache.get(hash);
  if (cached) return cached;
  if (fs.existsSync(path.join(DISK_CACHE_DIR, hash))) return [];

  const report = engine().validateStandard(
    // The engine only needs the bytes and a name; the template never touches the disk.
    { path: 'template.json', readBytes: () => Buffer.from(body) },
    { exclude: { ids: ignored } },
  );
  if (report.status === 'ERROR') {
    throw new Error(`@aws/cloudformation-validate could not analyse the template (status ERROR): ${JSON.stringify(report.diagnostics)}`);
  }
  const failures = report.diagnostics.filter((d) => FAILING_SEVERITIES.has(d.severity));
  memoryCache.set(hash, failures);
  if (failures.length === 0) writeDiskCacheEntry(hash);
  return failures;
}

/** One line per diagnostic: severity, rule, resource, property path, message. */
export function formatDiagnostic(d: StandardDiagnostic): string {
  const where = [d.entity?.logicalId, d.propertyPath].filter(Boolean).join(' ');
  return `  [${d.severity}] ${d.ruleId}${where ? ` ${where}` : ''}: ${d.message}`;
}

/** What asset hashes are replaced with by {@link stableTemplateJson}. */
export const ASSET_HASH_PLACEHOLDER = 'ASSET-HASH';

/**
 * A deep copy of the template with every asset hash replaced by {@link ASSET_HASH_PLACEHOLDER}:
 * S3 keys (`<64 hex>.zip` / `.json`), container image tags, `aws:asset:path` metadata, the hash
 * parts of `cdk-hnb659fds-assets-*` references, legacy `AssetParameters<hash>...` parameters and
 * the code hash in Lambda `CurrentVersion` logical ids. Snapshot this, never the raw template, so
 * snapshots survive dependency and bundle changes.
 */
export function stableTemplateJson(template: Template | object): any {
  const json = template instanceof Template ? template.toJSON() : template;
  return replaceHashes(json);
}

const SHA256_HEX = /[0-9a-f]{64}/g;
/** Legacy synthesizer: `AssetParameters<sha256>S3Bucket<8 hex of the name>`. */
const LEGACY_ASSET_PARAMETER = /AssetParameters[0-9a-f]{64}(S3Bucket|S3VersionKey|ArtifactHash)[0-9A-F]{8}/g;
/** `lambda.Function.currentVersion` logical ids end in an MD5 of the function's code and config. */
const LAMBDA_VERSION_ID = /CurrentVersion[0-9A-F]{8}[0-9a-f]{32}/g;

function replaceHashString(value: string): string {
  return value
    .replace(LEGACY_ASSET_PARAMETER, `AssetParameters${ASSET_HASH_PLACEHOLDER}$1`)
    .replace(LAMBDA_VERSION_ID, `CurrentVersion${ASSET_HASH_PLACEHOLDER}`)
    .replace(SHA256_HEX, ASSET_HASH_PLACEHOLDER);
}

function replaceHashes(value: unknown): unknown {
  if (typeof value === 'string') return replaceHashString(value);
  if (Array.isArray(value)) return value.map(replaceHashes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceHashString(k), replaceHashes(v)]));
  }
  return value;
}

const DISK_CACHE_DIR = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'cfn-validate');
const memoryCache = new Map<string, StandardDiagnostic[]>();
let sharedEngine: Engine | undefined;

/** The CEL engine starts in ~2 s and then validates a template in ~20 ms; start it once per worker. */
function engine(): Engine {
  sharedEngine ??= new CelEngine();
  return sharedEngine;
}

function writeDiskCacheEntry(hash: string): void {
  try {
    fs.mkdirSync(DISK_CACHE_DIR, { recursive: true });
    fs.writeFileSync(path.join(DISK_CACHE_DIR, hash), '');
  } catch {
    // A read-only checkout only loses the cache, never a result.
  }
}
