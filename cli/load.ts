/**
 * Loads what the CLI lints or explains: a cloud assembly directory (cdk.out: manifest.json, its
 * stacks, nested assemblies of stages and nested-stack templates) or template files (JSON, or
 * YAML with CloudFormation short-form tags such as `!Ref` and `!Sub`).
 *
 * Unusable input throws `LoadError`, which the CLI prints as one line and exits with 2.
 *
 * Every input is bounded before anything walks it, so no file makes a command run out of memory,
 * time or stack: a file is read up to MAX_TEMPLATE_BYTES (also /dev/zero or a pipe), YAML aliases
 * expand at most as far as the yaml library's default allows, objects and lists nest at most
 * MAX_NESTING_DEPTH deep, the shapes every command relies on are checked once here, assemblies and
 * nested stacks are followed once each, and line numbers come from one pass over the text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, Tags, YAMLMap, YAMLSeq } from 'yaml';
import { CfnTemplate, isPlainObject, MAX_NESTING_DEPTH, nestsDeeperThan } from '../src/lint/template';

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

/**
 * Largest template (and manifest) file read: 16 times what CloudFormation accepts (1 MB from S3),
 * so every deployable template fits, with room for what `cdk synth` writes before deploy.
 */
export const MAX_TEMPLATE_BYTES = 16 * 1024 * 1024;

/** Alias nodes a YAML file may expand (the yaml library's default; `-1` would switch the bound off). */
const MAX_YAML_ALIASES = 100;

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
  const manifest = parseJson(readText(manifestPath), manifestPath);
  const artifacts = isPlainObject(manifest) ? manifest.artifacts ?? {} : undefined;
  if (!isPlainObject(artifacts)) throw new LoadError(`${manifestPath}: not a cloud assembly manifest (no artifacts object)`);
  return Object.entries(artifacts).flatMap(([id, entry]) => {
    const artifact = (isPlainObject(entry) ? entry : {}) as ManifestArtifact;
    const properties = isPlainObject(artifact.properties) ? artifact.properties : {};
    if (artifact.type === 'cdk:cloud-assembly' && typeof properties.directoryName === 'string') {
      return readAssembly(path.join(dir, properties.directoryName), seen);
    }
    if (artifact.type !== 'aws:cloudformation:stack' || typeof properties.templateFile !== 'string') return [];
    const names = [artifact.displayName, properties.stackName].filter((name): name is string => typeof name === 'string');
    const stack = loadTemplateFile(path.join(dir, properties.templateFile), names[0] ?? id);
    return [stack, ...nestedStacks(dir, stack, seen)];
  });
}

/** Nested-stack templates that the CDK wrote into the assembly (`aws:asset:path` metadata), each once. */
function nestedStacks(dir: string, parent: LoadedTemplate, seen: Set<string>): LoadedTemplate[] {
  return Object.entries(parent.template.Resources ?? {}).flatMap(([logicalId, resource]) => {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::CloudFormation::Stack' || typeof assetPath !== 'string') return [];
    const file = path.join(dir, assetPath);
    if (!assetPath.endsWith('.json') || seen.has(file) || !fs.existsSync(file)) return [];
    seen.add(file);
    const nested = loadTemplateFile(file, `${parent.stackName}/${logicalId}`);
    return [nested, ...nestedStacks(dir, nested, seen)];
  });
}

/** Loads one template file, JSON or YAML. */
export function loadTemplateFile(file: string, stackName?: string): LoadedTemplate {
  const text = readText(file);
  const name = stackName ?? path.basename(file).replace(/\.(template\.)?(json|ya?ml|template)$/i, '');
  const isJson = file.toLowerCase().endsWith('.json') || text.trimStart().startsWith('{');
  const { template, lineOf } = isJson ? parseJsonTemplate(text, file) : parseYamlTemplate(text, file);
  if (nestsDeeperThan(template)) throw new LoadError(`${file}: nested deeper than ${MAX_NESTING_DEPTH} levels, which no CloudFormation template needs`);
  checkTemplateShape(template, file);
  return { stackName: name, templatePath: file, template, lineOf };
}

const SECTIONS = ['Parameters', 'Mappings', 'Conditions', 'Outputs', 'Metadata', 'Rules'];
const RESOURCE_OBJECTS = ['Properties', 'Metadata'];

/**
 * The shapes every command relies on, checked once so none of them meets a `null` resource or a
 * list where an object belongs: an object root, a Resources object, each resource an object with a
 * string Type, and objects where CloudFormation requires them.
 */
function checkTemplateShape(template: unknown, file: string): asserts template is CfnTemplate {
  const notTemplate = (why: string) => new LoadError(`${file}: not a CloudFormation template (${why})`);
  if (!isPlainObject(template)) throw notTemplate('expected an object');
  if (!isPlainObject(template.Resources)) throw notTemplate('no Resources section');
  for (const section of SECTIONS) {
    if (template[section] !== undefined && !isPlainObject(template[section])) throw notTemplate(`${section} is not an object`);
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const where = `Resources.${JSON.stringify(logicalId).slice(1, -1).slice(0, 80)}`;
    if (!isPlainObject(resource)) throw notTemplate(`${where} is not an object`);
    if (typeof resource.Type !== 'string') throw notTemplate(`${where} has no Type`);
    for (const key of RESOURCE_OBJECTS) {
      if (resource[key] !== undefined && !isPlainObject(resource[key])) throw notTemplate(`${where}.${key} is not an object`);
    }
  }
}

/** Reads at most MAX_TEMPLATE_BYTES (a device or pipe that never ends is cut off too). */
function readText(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(1024 * 1024);
    let total = 0;
    for (let read = fs.readSync(fd, chunk); read > 0; read = fs.readSync(fd, chunk)) {
      total += read;
      if (total > MAX_TEMPLATE_BYTES) {
        throw new LoadError(`${file}: larger than ${MAX_TEMPLATE_BYTES / (1024 * 1024)} MiB, far above CloudFormation's 1 MB template limit`);
      }
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    return Buffer.concat(chunks, total).toString('utf-8').replace(/^\uFEFF/, ''); // editors on Windows may add a BOM
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LoadError(`${file}: invalid JSON (${(error as Error).message.split('\n')[0].slice(0, 200)})`);
  }
}

interface Parsed {
  readonly template: unknown;
  readonly lineOf: (logicalId: string) => number | undefined;
}

function parseJsonTemplate(text: string, file: string): Parsed {
  const template = parseJson(text, file);
  let offsets: Map<string, number> | undefined;
  let lines: number[] | undefined;
  const lineOf = (logicalId: string): number | undefined => {
    offsets ??= resourceKeyOffsets(text);
    const offset = offsets.get(logicalId);
    if (offset === undefined) return undefined;
    lines ??= lineStarts(text);
    return lineAt(lines, offset);
  };
  return { template, lineOf };
}

/**
 * Where each key of the top-level `Resources` object starts in a JSON text that parsed, found in
 * one pass (looking each id up in the text instead made `lint` quadratic in the resource count).
 */
function resourceKeyOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  let depth = 0;
  let topKey: string | undefined;
  let inResources = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const start = i;
      let escaped = false;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') { escaped = true; i++; }
      if (depth > 2 || (depth === 2 && !inResources)) continue;
      let next = i + 1;
      while (next < text.length && ' \t\r\n'.includes(text[next])) next++;
      if (text[next] !== ':') continue;
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      if (depth === 1) topKey = key;
      else if (!offsets.has(key)) offsets.set(key, start);
    } else if (ch === '{' || ch === '[') {
      depth++;
      if (depth === 2) inResources = ch === '{' && topKey === 'Resources';
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 1) inResources = false;
    }
  }
  return offsets;
}

function parseYamlTemplate(text: string, file: string): Parsed {
  const lineCounter = new LineCounter();
  const invalid = (where: string, reason: string) => new LoadError(`${file}: invalid YAML${where} (${reason.split('\n')[0].slice(0, 200)})`);
  const doc = parseDocument(text, { customTags: CLOUDFORMATION_TAGS, lineCounter });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first.linePos ? ` at line ${first.linePos[0].line}` : '';
    throw invalid(where, first.message.replace(/ at line \d+, column \d+:?$/m, ''));
  }
  let template: unknown;
  try {
    template = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    // the yaml library refuses aliases that expand beyond the bound ("billion laughs")
    throw invalid('', `${(error as Error).message}; at most ${MAX_YAML_ALIASES} aliases are expanded`);
  }
  const resources = doc.get('Resources', true);
  let offsets: Map<unknown, number> | undefined;
  const lineOf = (logicalId: string): number | undefined => {
    if (!offsets) {
      offsets = new Map();
      for (const pair of isMap(resources) ? resources.items : []) {
        const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        if (offset !== undefined && isScalar(pair.key) && !offsets.has(pair.key.value)) offsets.set(pair.key.value, offset);
      }
    }
    const offset = offsets.get(logicalId);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { template, lineOf };
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
