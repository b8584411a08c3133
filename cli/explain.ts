/**
 * `cdk-kms-patterns explain [cdk.out | templates...] [--format markdown|html|json]`: for every KMS
 * key, who can do what with it, computed by our key-policy evaluator over the key policy and the
 * IAM policies of the same templates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInputs, LoadError } from './load';
import { EXPLAIN_FORMATS, ExplainFormat, explainTemplates, renderReport } from '../src/access/explain';

/** Where the command writes. */
export interface ExplainIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export const EXPLAIN_HELP = `Usage: cdk-kms-patterns explain [cdk.out | template files...] [--format markdown|html|json]

For every KMS key (AWS::KMS::Key, AWS::KMS::ReplicaKey, keys in custom key stores), print the access matrix: the principals
named in the key policy and the IAM roles and users of the same templates, by capability
(administer, change policy, delete, disable, encrypt, decrypt, sign, verify, MAC, derive, create
grant). Each cell is allowed, allowed only under the listed conditions, partly allowed, or denied;
"via IAM" marks access that exists only through the account-root statement of the key policy.

Inputs: a cloud assembly directory (default: cdk.out) or CloudFormation templates (JSON or YAML).
All of them are taken to deploy to one account, whose roles' IAM policies may reach every key.

Options:
  --format <f>    markdown (default; fits a pull-request comment), html (one self-contained page), json
  --account <id>  the account the templates deploy to, when they spell it literally (default: the
                  stack environments of a cloud assembly; otherwise \${AWS::AccountId} is the own account)
  --region <r>    the Region, likewise
  -h, --help      show this help

Exit codes: 0 success, 2 unusable input or arguments.
`;

interface ExplainArgs {
  readonly inputs: string[];
  readonly format: ExplainFormat;
  readonly account?: string;
  readonly region?: string;
  readonly help: boolean;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[]): ExplainArgs {
  const inputs: string[] = [];
  let format: ExplainFormat = 'markdown';
  let account: string | undefined;
  let region: string | undefined;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const option = /^(--format|--account|--region)(?:=(.*))?$/.exec(arg);
    const value = option ? (option[2] ?? args[++i]) : undefined;
    const shown = value === undefined ? 'nothing' : `"${value}"`;
    if (arg === '-h' || arg === '--help') {
      help = true;
    } else if (option?.[1] === '--format') {
      if (!EXPLAIN_FORMATS.includes(value as ExplainFormat)) throw new UsageError(`--format must be one of ${EXPLAIN_FORMATS.join(', ')} (got ${shown})`);
      format = value as ExplainFormat;
    } else if (option?.[1] === '--account') {
      if (!/^\d{12}$/.test(value ?? '')) throw new UsageError(`--account takes a 12-digit account id (got ${shown})`);
      account = value;
    } else if (option?.[1] === '--region') {
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(value ?? '')) throw new UsageError(`--region takes a Region name such as eu-west-1 (got ${shown})`);
      region = value;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg} (see --help)`);
    } else {
      inputs.push(arg);
    }
  }
  return { inputs, format, account, region, help };
}

// The account and Region each stack of a cloud assembly deploys to (`environment` of its manifest
// artifact, `aws://<account>/<region>`), when concrete: CDK stacks with an `env` spell their own
// account literally in ARNs, and explain must know it is their own.
export interface StackEnvironment {
  readonly account?: string;
  readonly region?: string;
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type?: string;
    readonly environment?: string;
    readonly displayName?: string;
    readonly properties?: { readonly stackName?: string; readonly directoryName?: string };
  }>;
}

/** Environments by stack name (named as cli/load.ts names them), for every cloud assembly among `inputs`. */
export function stackEnvironments(inputs: readonly string[]): Map<string, StackEnvironment> {
  const result = new Map<string, StackEnvironment>();
  const visit = (dir: string, seen: Set<string>) => {
    const manifestPath = path.join(dir, 'manifest.json');
    if (seen.has(dir) || !fs.existsSync(manifestPath)) return;
    seen.add(dir);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf-8')) as Manifest;
    } catch {
      return; // the loader reports unusable manifests
    }
    for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (typeof artifact !== 'object' || artifact === null) continue; // the loader has refused what it cannot use
      if (artifact.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') visit(path.join(dir, artifact.properties.directoryName), seen);
      if (artifact.type !== 'aws:cloudformation:stack') continue;
      const [, account, region] = /^aws:\/\/([^/]*)\/(.*)$/.exec(artifact.environment ?? '') ?? [];
      result.set(artifact.displayName ?? artifact.properties?.stackName ?? id, {
        account: /^\d{12}$/.test(account ?? '') ? account : undefined,
        region: /^[a-z]{2}(-[a-z]+)+-\d$/.test(region ?? '') ? region : undefined,
      });
    }
  };
  const targets = inputs.length > 0 ? inputs : ['cdk.out'];
  for (const input of targets) {
    if (fs.existsSync(input) && fs.statSync(input).isDirectory()) visit(path.resolve(input), new Set());
  }
  return result;
}

/** The environment of a stack; nested stacks (`Parent/Logical`) deploy with their parent. */
export function environmentOf(environments: Map<string, StackEnvironment>, stackName: string): StackEnvironment {
  for (let name = stackName; ; name = name.slice(0, name.lastIndexOf('/'))) {
    const environment = environments.get(name);
    if (environment) return environment;
    if (!name.includes('/')) return {};
  }
}

/** Runs `explain`; returns the exit code. */
export async function runExplain(args: string[], io: ExplainIo): Promise<number> {
  try {
    const parsed = parseArgs(args);
    if (parsed.help) {
      io.stdout(EXPLAIN_HELP);
      return 0;
    }
    const templates = loadInputs(parsed.inputs);
    const environments = stackEnvironments(parsed.inputs);
    const report = explainTemplates(templates.map(({ stackName, template }) => {
      const environment = environmentOf(environments, stackName);
      return { stackName, template, account: parsed.account ?? environment.account, region: parsed.region ?? environment.region };
    }));
    io.stdout(renderReport(report, parsed.format));
    return 0;
  } catch (error) {
    if (error instanceof LoadError || error instanceof UsageError) {
      io.stderr(`cdk-kms-patterns explain: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
