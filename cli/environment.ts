/**
 * The account and Region each stack of a cloud assembly deploys to (`environment` of its manifest
 * artifact, `aws://<account>/<region>`), when they are concrete. CDK stacks with an `env` spell
 * their own account literally in ARNs, and explain must know it is their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) visit(path.join(dir, artifact.properties.directoryName), seen);
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
