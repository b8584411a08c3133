/**
 * Loads what the CLI lints or explains: a cloud assembly directory (cdk.out: manifest.json, its
 * stacks, nested assemblies of stages and nested-stack templates) or template files (JSON, or
 * YAML with CloudFormation short-form tags such as `!Ref` and `!Sub`).
 *
 * Unusable input throws `LoadError`, which the CLI prints as one line and exits with 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, Tags, YAMLMap, YAMLSeq } from 'yaml';
import { CfnTemplate } from '../src/lint/template';

/** One template, ready to lint. */
export interface LoadedTemplate {
  /** Stack name (cloud assembly) or the file name without extension (template file). */
  readonly stackName: string;
  /** Absolute path of the template file. */
  readonly templatePath: string;
  readonly template: CfnTemplate;
  /** 1-based line of a resource's logical id in the file, if found. */
  lineOf(logicalId: string): number | undefined;
}

/** Input the CLI cannot use (missing file, invalid JSON/YAML, empty cloud assembly). */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

const DEFAULT_INPUT = 'cdk.out';

/** Loads every input (directories are cloud assemblies, files are templates); `[]` means `cdk.out`. */
export function loadInputs(inputs: readonly string[]): LoadedTemplate[] {
  const targets = inputs.length > 0 ? inputs : [DEFAULT_INPUT];
  return targets.flatMap((input) => {
    const absolute = path.resolve(input);
    if (!fs.existsSync(absolute)) throw new LoadError(`${input}: no such file or directory`);
    return fs.statSync(absolute).isDirectory() ? loadCloudAssembly(absolute) : [loadTemplateFile(absolute)];
  });
}

/** Loads every stack of a cloud assembly, including nested assemblies (stages) and nested stacks. */
export function loadCloudAssembly(dir: string): LoadedTemplate[] {
  const stacks = readAssembly(dir, new Set());
  if (stacks.length === 0) throw new LoadError(`${dir}: the cloud assembly has no stacks`);
  return stacks;
}

interface ManifestArtifact {
  readonly type?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
}

function readAssembly(dir: string, seen: Set<string>): LoadedTemplate[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new LoadError(`${dir}: not a cloud assembly (no manifest.json)`);
  const manifest = parseJson(readText(manifestPath), manifestPath) as { artifacts?: Record<string, ManifestArtifact> };
  return Object.entries(manifest.artifacts ?? {}).flatMap(([id, artifact]) => {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      return readAssembly(path.join(dir, artifact.properties.directoryName), seen);
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) return [];
    const stackName = artifact.displayName ?? artifact.properties.stackName ?? id;
    const stack = loadTemplateFile(path.join(dir, artifact.properties.templateFile), stackName);
    return [stack, ...nestedStacks(dir, stack)];
  });
}

/** Nested-stack templates that the CDK wrote into the assembly (`aws:asset:path` metadata). */
function nestedStacks(dir: string, parent: LoadedTemplate): LoadedTemplate[] {
  return Object.entries(parent.template.Resources ?? {}).flatMap(([logicalId, resource]) => {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::CloudFormation::Stack' || typeof assetPath !== 'string') return [];
    const file = path.join(dir, assetPath);
    if (!assetPath.endsWith('.json') || !fs.existsSync(file)) return [];
    const nested = loadTemplateFile(file, `${parent.stackName}/${logicalId}`);
    return [nested, ...nestedStacks(dir, nested)];
  });
}

/** Loads one template file, JSON or YAML. */
export function loadTemplateFile(file: string, stackName?: string): LoadedTemplate {
  const text = readText(file);
  const name = stackName ?? path.basename(file).replace(/\.(template\.)?(json|ya?ml|template)$/i, '');
  const isJson = file.toLowerCase().endsWith('.json') || text.trimStart().startsWith('{');
  const { template, lineOf } = isJson ? parseJsonTemplate(text, file) : parseYamlTemplate(text, file);
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new LoadError(`${file}: not a CloudFormation template (expected an object)`);
  }
  const resources = (template as CfnTemplate).Resources;
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw new LoadError(`${file}: not a CloudFormation template (no Resources section)`);
  }
  return { stackName: name, templatePath: file, template: template as CfnTemplate, lineOf };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf-8').replace(/^\uFEFF/, ''); // editors on Windows may add a BOM
  } catch (error) {
    throw new LoadError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LoadError(`${file}: invalid JSON (${(error as Error).message})`);
  }
}

interface Parsed {
  readonly template: unknown;
  readonly lineOf: (logicalId: string) => number | undefined;
}

function parseJsonTemplate(text: string, file: string): Parsed {
  const template = parseJson(text, file);
  const lines = lineStarts(text);
  const resourcesAt = text.search(/"Resources"\s*:/);
  const lineOf = (logicalId: string): number | undefined => {
    if (resourcesAt < 0) return undefined;
    const pattern = new RegExp(`"${escapeRegExp(logicalId)}"\\s*:`, 'g');
    pattern.lastIndex = resourcesAt;
    const match = pattern.exec(text);
    return match ? lineAt(lines, match.index) : undefined;
  };
  return { template, lineOf };
}

function parseYamlTemplate(text: string, file: string): Parsed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { customTags: CLOUDFORMATION_TAGS, lineCounter });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first.linePos ? ` at line ${first.linePos[0].line}` : '';
    const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new LoadError(`${file}: invalid YAML${where} (${reason})`);
  }
  const resources = doc.get('Resources', true);
  const lineOf = (logicalId: string): number | undefined => {
    if (!isMap(resources)) return undefined;
    const pair = resources.items.find((item) => isScalar(item.key) && item.key.value === logicalId);
    const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { template: doc.toJS({ maxAliasCount: -1 }), lineOf };
}

/** CloudFormation short-form tags: `!Ref X` → `{Ref: X}`, `!Sub ...` → `{"Fn::Sub": ...}`, etc. */
const CLOUDFORMATION_TAGS: Tags = (() => {
  const functions = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
    'Transform', 'If', 'Equals', 'And', 'Or', 'Not', 'ToJsonString', 'Length', 'GetAtt'];
  const wrap = (name: string) => (value: unknown) => ({ [name]: value });
  const tags: Tags = [
    { tag: '!Ref', resolve: wrap('Ref') },
    { tag: '!Condition', resolve: wrap('Condition') },
  ];
  for (const fn of functions) {
    const name = `Fn::${fn}`;
    const scalar = fn === 'GetAtt' ? (value: string) => ({ [name]: splitGetAtt(value) }) : wrap(name);
    tags.push({ tag: `!${fn}`, resolve: scalar });
    tags.push({ tag: `!${fn}`, collection: 'seq', resolve: (seq) => ({ [name]: (seq as YAMLSeq).toJSON() }) });
    tags.push({ tag: `!${fn}`, collection: 'map', resolve: (map) => ({ [name]: (map as YAMLMap).toJSON() }) });
  }
  return tags;
})();

/** `!GetAtt Role.Arn` → `["Role", "Arn"]` (attribute names may contain dots). */
function splitGetAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
