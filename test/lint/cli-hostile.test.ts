/**
 * Hostile input against the loader and both commands (`lint`, `explain`), class by class. Every
 * input must end in exit 0, 1 or 2 with at most one line on stderr: never a stack trace, never the
 * CLI's "cannot process this input" fallback (which only a defect of ours reaches), and never
 * unbounded time or memory (the jest timeout is the bound here; bench/ measures speed).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { main } from '../../cli';
import { MAX_TEMPLATE_BYTES } from '../../cli/load';
import { MAX_BRANCH_COMBINATIONS } from '../../src/lint/key-policy';
import { MAX_NESTING_DEPTH } from '../../src/lint/template';
import { Gen, keyPolicy as randomKeyPolicy } from '../access/evaluator/random-policies';

jest.setTimeout(120_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let fileCount = 0;

/** Writes `content` (text, bytes, or a value written as JSON) to a fresh file. */
function file(content: string | Uint8Array | object, extension = 'json'): string {
  const name = path.join(tmp, `input-${++fileCount}.${extension}`);
  fs.writeFileSync(name, typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content));
  return name;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { code, stdout, stderr };
}

/** The contract for any input: a known exit code, and a refusal is one line without a stack. */
function expectHandled(result: Run, context: string): void {
  const report = `${context}: exit ${result.code}, stderr ${JSON.stringify(result.stderr.slice(0, 300))}`;
  expect({ report, ok: [0, 1, 2].includes(result.code) }).toEqual({ report, ok: true });
  expect({ report, defect: /cannot process this input|\n\s+at /.test(result.stderr) }).toEqual({ report, defect: false });
  if (result.code === 2) expect({ report, lines: result.stderr.trimEnd().split('\n').length }).toEqual({ report, lines: 1 });
  else expect({ report, stdout: result.stdout.length > 0 }).toEqual({ report, stdout: true });
}

/** Both commands, lint in every format, on one input. */
async function expectAllHandled(input: string, context: string): Promise<Run[]> {
  const results: Run[] = [];
  for (const argv of [['lint', input], ['lint', input, '--format', 'sarif'], ['explain', input], ['explain', input, '--format', 'html']]) {
    const result = await run(...argv);
    expectHandled(result, `${argv.join(' ')} [${context}]`);
    results.push(result);
  }
  return results;
}

/** A template with a key, a role with an inline policy, a managed policy and a trail: every reader has something to read. */
function baseTemplate(): any {
  return {
    Parameters: { Org: { Type: 'String', Default: 'o-abc' }, Admins: { Type: 'CommaDelimitedList', Default: 'a,b' } },
    Mappings: { M: { a: { b: 'arn:aws:iam::111122223333:role/x' } } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Org' }, 'o-abc'] } },
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } }] } }],
          ManagedPolicyArns: [{ Ref: 'Managed' }],
        },
      },
      Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } } },
      Key: {
        Type: 'AWS::KMS::Key',
        Metadata: { 'aws:cdk:path': 'Stack/Key/Resource' },
        Properties: {
          EnableKeyRotation: true,
          KeyPolicy: {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'Root', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
              { Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['Role', 'Arn'] } }, Action: ['kms:Decrypt'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } },
            ],
          },
        },
      },
      Trail: { Type: 'AWS::CloudTrail::Trail', Properties: { IsLogging: true, S3BucketName: 'b', EventSelectors: [{ IncludeManagementEvents: true }] } },
    },
  };
}

/** Places of the base template where a hostile value may stand. */
const PLACES: readonly (readonly (string | number)[])[] = [
  [],
  ['Resources'],
  ['Resources', 'Key'],
  ['Resources', 'Key', 'Type'],
  ['Resources', 'Key', 'Properties'],
  ['Resources', 'Key', 'Properties', 'KeyPolicy'],
  ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement'],
  ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1],
  ...['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']
    .map((element) => ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, element]),
  ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, 'Principal', 'AWS'],
  ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, 'Condition', 'StringEquals'],
  ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, 'Condition', 'StringEquals', 'kms:ViaService'],
  ...['EnableKeyRotation', 'KeySpec', 'KeyUsage', 'PendingWindowInDays', 'RotationPeriodInDays', 'Origin', 'KeyStoreId']
    .map((property) => ['Resources', 'Key', 'Properties', property]),
  ...['DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'Condition', 'DependsOn'].map((attribute) => ['Resources', 'Key', attribute]),
  ['Resources', 'Key', 'Metadata', 'aws:cdk:path'],
  ['Resources', 'Role', 'Properties', 'Policies'],
  ['Resources', 'Role', 'Properties', 'Policies', 0, 'PolicyDocument'],
  ['Resources', 'Role', 'Properties', 'Policies', 0, 'PolicyDocument', 'Statement', 0, 'Resource'],
  ['Resources', 'Role', 'Properties', 'ManagedPolicyArns'],
  ['Resources', 'Role', 'Properties', 'RoleName'],
  ['Resources', 'Managed', 'Properties', 'PolicyDocument'],
  ['Resources', 'Managed', 'Properties', 'Roles'],
  ['Resources', 'Trail', 'Properties', 'EventSelectors'],
  ['Resources', 'Trail', 'Properties', 'AdvancedEventSelectors'],
  ['Parameters'],
  ['Parameters', 'Org'],
  ['Parameters', 'Org', 'Default'],
  ['Parameters', 'Admins', 'Type'],
  ['Mappings'],
  ['Mappings', 'M', 'a'],
  ['Conditions'],
];

function placeValue(template: any, place: readonly (string | number)[], value: unknown): any {
  if (place.length === 0) return value;
  let container = template;
  for (const step of place.slice(0, -1)) container = container[step];
  Object.defineProperty(container, place[place.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return template;
}

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__', 'isPrototypeOf'];
const hostileName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ maxLength: 12 }));

/** Intrinsic functions with arbitrary (often wrong) arguments, and names of things that do not exist. */
const INTRINSICS = ['Ref', 'Fn::GetAtt', 'Fn::Join', 'Fn::Sub', 'Fn::Select', 'Fn::FindInMap', 'Fn::Split', 'Fn::If',
  'Fn::ImportValue', 'Fn::Base64', 'Fn::Equals', 'Fn::ToJsonString', 'Fn::Length', 'Condition', 'Fn::Cidr', 'Fn::GetAZs'];
const intrinsic: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.jsonValue({ maxDepth: 2 }), hostileName, tie('call')),
  call: fc.tuple(fc.constantFrom(...INTRINSICS), fc.oneof(
    tie('value'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.tuple(hostileName, hostileName, hostileName),
    hostileName.map((name) => `\${${name}}`),
    fc.tuple(fc.constantFrom('IsProd', 'Missing', '__proto__'), tie('value'), tie('value')),
  )).map(([name, args]) => ({ [name]: args })),
})).value;

/** A value of any JSON shape, with keys that are also properties of every object. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  intrinsic,
  fc.dictionary(hostileName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  fc.constantFrom(null, true, 0, -1, 1e308, '', '*', 'kms:*', '\u0000', '\uFEFF', 'a'.repeat(10_000), [], {}, { toString: {} }, { valueOf: [] }),
);

describe('odd values anywhere in a template (fast-check)', () => {
  test('a hostile value at any place: handled by both commands in every format', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...PLACES), hostileValue, fc.boolean(), async (place, value, asYaml) => {
      const template = placeValue(baseTemplate(), place, value);
      const input = asYaml ? file(stringify(template ?? null, { aliasDuplicateObjects: false }), 'yaml') : file(JSON.stringify(template) ?? 'null');
      await expectAllHandled(input, `${place.join('.')} = ${JSON.stringify(value)?.slice(0, 100)}`);
    }), { numRuns: 150 });
  });

  test('resources, parameters, mappings, conditions and Sub variables named like Object.prototype members', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...PROTOTYPE_NAMES), async (name) => {
      const template = baseTemplate();
      placeValue(template.Resources, [name], { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: { Ref: name } }, Action: { 'Fn::FindInMap': [name, name, name] }, Resource: '*' }] } } });
      placeValue(template.Parameters, [name], { Type: 'String', Default: '*' });
      placeValue(template.Mappings, [name], { [name]: { [name]: 'kms:*' } });
      placeValue(template.Conditions, [name], { 'Fn::Equals': ['a', 'a'] });
      template.Resources.Key.Properties.Description = { 'Fn::Sub': [`\${${name}}`, { [name]: 'x' }] };
      const [lint] = await expectAllHandled(file(template), name);
      // The parameter and mapping named `name` are the template's own: Ref gives '*', FindInMap 'kms:*'.
      expect(lint.stdout).toMatch(/KMS1 +statement #1 allows a wildcard principal/);
    }), { numRuns: PROTOTYPE_NAMES.length * 2 });
  });
});

describe('values no conversion can turn into text or a number', () => {
  // Objects whose toString/valueOf are not functions: String(), Number() and template literals throw
  // on them. Each is tried at every place, bare and as the argument of every intrinsic that reads text.
  const unconvertible: unknown[] = [{ toString: {} }, { valueOf: {} }, { toString: null, valueOf: null }, { toString: {}, valueOf: [] }];
  const inIntrinsics = (value: unknown): unknown[] => [
    { Ref: value }, { 'Fn::GetAtt': value }, { 'Fn::GetAtt': [value, value] }, { 'Fn::Sub': value }, { 'Fn::Sub': [value, {}] },
    { 'Fn::Join': [value, ['a', value]] }, { 'Fn::Select': [value, ['a']] }, { 'Fn::Split': [value, 'a,b'] },
    { 'Fn::FindInMap': [value, value, value] }, { 'Fn::If': [value, value, value] },
  ];
  const values = unconvertible.flatMap((value) => [value, ...inIntrinsics(value)]);

  test.each(PLACES.map((place) => [place.join('.') || '(root)', place]))('at %s', async (_name, place) => {
    for (const value of values) {
      await expectAllHandled(file(placeValue(baseTemplate(), place, value)), `${JSON.stringify(value)}`);
    }
  });
});

describe('deep nesting', () => {
  /** The JSON text of a value nested `depth` deep (built as text: the test's own JSON.stringify would overflow). */
  const nestedText = (depth: number, kind: 'list' | 'object' | 'join' | 'if'): string => {
    const [open, close] = { list: ['[', ']'], object: ['{"a":', '}'], join: ['{"Fn::Join":["",[', ']]}'], if: ['{"Fn::If":["C",', ',"y"]}'] }[kind];
    return open.repeat(depth) + '"x"' + close.repeat(depth);
  };
  const nested = (depth: number, kind: 'list' | 'object' | 'join' | 'if'): unknown => JSON.parse(nestedText(depth, kind));
  /** The base template with the nested value at `place`, as a file. */
  const deepFile = (place: readonly (string | number)[], depth: number, kind: 'list' | 'object' | 'join' | 'if') =>
    file(JSON.stringify(placeValue(baseTemplate(), place, '__DEEP__')).replace('"__DEEP__"', nestedText(depth, kind)));
  const places = [['Resources', 'Key', 'Properties', 'KeyPolicy'], ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, 'Condition'],
    ['Resources', 'Key', 'Metadata'], ['Parameters', 'Org', 'Default'], ['Mappings', 'M', 'a', 'b'], ['Resources', 'Role', 'Properties', 'Policies']];

  test.each(['list', 'object', 'join', 'if'] as const)('%s nested 10,000, 1,000 and 129 deep at every place: exit 2, one line', async (kind) => {
    for (const depth of [10_000, 1_000, MAX_NESTING_DEPTH + 1]) {
      for (const place of places) {
        const results = await expectAllHandled(deepFile(place, depth, kind), `${kind} ${depth} at ${place.join('.')}`);
        for (const { code, stderr } of results) expect({ code, stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/nested deeper than 128 levels/) });
      }
    }
  });

  test('up to the limit is accepted: nesting that fits is linted, not refused', async () => {
    const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Metadata', 'deep'], nested(MAX_NESTING_DEPTH - 10, 'list'));
    const [lint] = await expectAllHandled(file(template), 'fits');
    expect(lint.code).toBe(0);
  });

  test('a key policy given as a JSON string nested 5,000 deep is a KMS14 finding, not a crash', async () => {
    const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy'], nestedText(5_000, 'list'));
    const [lint, , explain] = await expectAllHandled(file(template), 'deep string policy');
    expect(lint.stdout).toContain('KMS14 the key policy (a JSON string nested deeper than 128 levels) cannot be resolved offline');
    expect(explain.stdout).toContain('Not resolved offline');
  });

  test('YAML nested 10,000 deep (flow and block): exit 2, one line', async () => {
    const flow = `Resources: {K: {Type: AWS::KMS::Key, Properties: {KeyPolicy: ${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`;
    const block = 'Resources:\n' + Array.from({ length: 3_000 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n') + ' x\n';
    for (const text of [flow, block]) {
      for (const { code } of await expectAllHandled(file(text, 'yaml'), 'deep yaml')) expect(code).toBe(2);
    }
  });

  test('the shipped command line (not main()) on a template nested 10,000 deep: exit 2, one line, no stack', () => {
    const input = deepFile(['Resources', 'Key', 'Properties', 'KeyPolicy'], 10_000, 'list');
    const cli = path.join(__dirname, '..', '..', 'cli', 'index.ts');
    for (const command of ['lint', 'explain']) {
      const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), cli, command, input], { encoding: 'utf-8' });
      expect({ status: result.status, lines: result.stderr.trimEnd().split('\n').length, stack: /\n\s+at /.test(result.stderr) }).toEqual({ status: 2, lines: 1, stack: false });
    }
  });
});

describe('expansion bombs', () => {
  /** `levels` anchors, each a list of `width` aliases of the previous: width^levels nodes once expanded. */
  const aliasBomb = (levels: number, width: number, where: string) => {
    const lines = ['a0: &a0 ["lol", "lol", "lol"]'];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
    lines.push(`Resources: {K: {Type: AWS::KMS::Key, ${where}: *a${levels}}}`);
    return lines.join('\n') + '\n';
  };

  test('YAML alias bombs of any shape: refused quickly (the alias limit is on), or small enough to load', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.constantFrom('Metadata', 'Properties'),
      async (levels, width, where) => {
        const results = await expectAllHandled(file(aliasBomb(levels, width, where), 'yaml'), `alias bomb ${levels}x${width}`);
        if (width ** levels > 10_000) for (const { code } of results) expect(code).toBe(2);
      }), { numRuns: 40 });
  });

  test('the 555-byte bomb of the issue: exit 2 naming the alias limit', async () => {
    const result = await run('lint', file(aliasBomb(9, 9, 'Properties'), 'yaml'));
    expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/invalid YAML \(.*at most 100 aliases are expanded\)\n$/) });
  });

  const big = 'x'.repeat(100_000);
  test.each([
    ['Fn::Sub of a long parameter, repeated', { 'Fn::Sub': '${Big}'.repeat(20_000) }],
    ['Fn::Join of a long parameter, repeated', { 'Fn::Join': ['', Array.from({ length: 20_000 }, () => ({ Ref: 'Big' }))] }],
    ['Fn::Split of a long list parameter, repeated', Array.from({ length: 2_000 }, () => ({ 'Fn::Split': [',', { Ref: 'Big' }] }))],
    ['a list parameter, repeated', Array.from({ length: 2_000 }, () => ({ Ref: 'List' }))],
  ])('%s: refused with one line naming the expansion limit', async (_, value) => {
    const template = baseTemplate();
    template.Parameters.Big = { Type: 'String', Default: big.replace(/x{10}/g, 'x,x,x,x,x,') };
    template.Parameters.List = { Type: 'CommaDelimitedList', Default: big.replace(/x{2}/g, 'x,') };
    template.Resources.Key.Properties.Description = value;
    const result = await run('lint', file(template));
    expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^cdk-kms-patterns lint: the template's intrinsic functions expand to more than 64 Mi characters/) });
  });

  test(`Fn::If over many conditions: at most ${MAX_BRANCH_COMBINATIONS} combinations judged, the rest named`, async () => {
    const open = { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }] };
    let policy: unknown = open;
    for (let c = 0; c < 30; c++) policy = { 'Fn::If': [`C${c}`, policy, c % 2 ? open : { Statement: [{ 'Fn::If': [`D${c}`, open, open] }] }] };
    const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy'], policy);
    const [lint, , explain] = await expectAllHandled(file(template), 'many conditions');
    expect(lint.stdout).toMatch(/KMS1 +statement #1 allows a wildcard principal/);
    expect(lint.stdout).toMatch(/more than 16 combinations of Fn::If conditions: 16 were judged, in which C\d+, .* took only their first branch/);
    expect(explain.stdout.match(/^### /gm)).toHaveLength(MAX_BRANCH_COMBINATIONS);
  });

  test('a mapping that names itself, nested stacks that include themselves: finite', async () => {
    const template = baseTemplate();
    template.Mappings.M.a.b = { 'Fn::FindInMap': ['M', 'a', 'b'] };
    template.Resources.Key.Properties.KeyPolicy.Statement[1].Principal.AWS = { 'Fn::FindInMap': ['M', 'a', 'b'] };
    await expectAllHandled(file(template), 'self-referencing mapping');

    const assembly = fs.mkdtempSync(path.join(tmp, 'cycle-'));
    const stack = baseTemplate();
    stack.Resources.Nested = { Type: 'AWS::CloudFormation::Stack', Metadata: { 'aws:asset:path': 'Stack.template.json' } };
    fs.writeFileSync(path.join(assembly, 'Stack.template.json'), JSON.stringify(stack));
    fs.writeFileSync(path.join(assembly, 'manifest.json'), JSON.stringify({
      artifacts: {
        Stack: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Stack.template.json' } },
        Self: { type: 'cdk:cloud-assembly', properties: { directoryName: '.' } },
      },
    }));
    for (const result of await expectAllHandled(assembly, 'cycles')) expect(result.code).not.toBe(2);
  });
});

describe('huge inputs', () => {
  test('a file over the size limit, and a device that never ends: refused, one line', async () => {
    const huge = path.join(tmp, 'huge.json');
    fs.writeFileSync(huge, `{"Resources":{},"Metadata":{"x":"${'x'.repeat(MAX_TEMPLATE_BYTES)}"}}`);
    for (const { stderr } of await expectAllHandled(huge, 'huge')) expect(stderr).toMatch(/larger than 16 MiB/);
    if (fs.existsSync('/dev/zero')) {
      for (const { stderr } of await expectAllHandled('/dev/zero', '/dev/zero')) expect(stderr).toMatch(/larger than 16 MiB/);
    }
  });

  test.each([
    ['20,000 statements in one key policy', () => placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement'],
      Array.from({ length: 20_000 }, (_, i) => ({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:role/r${i}` }, Action: 'kms:Decrypt', Resource: '*' })))],
    ['200,000 actions in one statement', () => placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement', 1, 'Action'],
      Array.from({ length: 200_000 }, (_, i) => `kms:Action${i}`))],
    ['100,000 resources that are not keys', () => {
      const template = baseTemplate();
      for (let i = 0; i < 100_000; i++) template.Resources[`Topic${i}`] = { Type: 'AWS::SNS::Topic' };
      return template;
    }],
  ])('%s: handled', async (_, make) => {
    const input = file(make());
    const lint = await run('lint', input, '--format', 'json');
    expectHandled(lint, 'huge');
  });
});

describe('not a template', () => {
  test.each([
    ['null', 'null'], ['a number', '42'], ['a string', '"Resources"'], ['a list', '[{"Resources":{}}]'], ['true', 'true'],
    ['empty', ''], ['whitespace', ' \n\t\n'], ['a BOM only', '\uFEFF'], ['truncated JSON', '{"Resources": {"K": {"Type": "AWS::KMS::Key"'],
    ['JSON with a trailing comma', '{"Resources": {},}'], ['JSON with comments', '{"Resources": {} /* x */}'], ['NaN', '{"Resources": NaN}'],
    ['Resources is a list', '{"Resources": []}'], ['Resources is null', '{"Resources": null}'], ['a resource is a string', '{"Resources": {"K": "x"}}'],
    ['a resource without Type', '{"Resources": {"K": {}}}'], ['Type is a number', '{"Resources": {"K": {"Type": 1}}}'],
    ['Properties is a list', '{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": []}}}'],
    ['Metadata is a string', '{"Resources": {"K": {"Type": "AWS::KMS::Key", "Metadata": "x"}}}'],
    ['Parameters is a list', '{"Parameters": [], "Resources": {}}'], ['Mappings is a string', '{"Mappings": "m", "Resources": {}}'],
  ])('JSON: %s: exit 2, one line', async (_, text) => {
    for (const { code } of await expectAllHandled(file(text), text)) expect(code).toBe(2);
  });

  test.each([
    ['a scalar', 'hello'], ['a sequence', '- Resources: {}'], ['two documents', 'Resources: {}\n---\nResources: {}\n'],
    ['duplicate keys', 'Resources: {}\nResources: {}\n'], ['an unknown tag', 'Resources: !Bogus {}\n'], ['tabs for indentation', 'Resources:\n\tK: 1\n'],
    ['an undefined alias', 'Resources: *nothing\n'], ['a merge key', 'a: &a {Type: AWS::KMS::Key}\nResources: {K: {<<: *a}}\n'],
    ['a binary tag', 'Resources: !!binary aGVsbG8=\n'], ['a set', 'Resources: !!set {a, b}\n'], ['a huge integer', 'Resources: {K: {Type: AWS::KMS::Key, Properties: {PendingWindowInDays: 1e999}}}\n'],
  ])('YAML: %s: handled, one line when refused', async (_, text) => {
    await expectAllHandled(file(text, 'yaml'), text);
  });

  test('binary garbage (fast-check), as .json, .yaml and .template', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), fc.constantFrom('json', 'yaml', 'template'), async (bytes, extension) => {
      for (const { code } of await expectAllHandled(file(bytes, extension), `${bytes.length} bytes .${extension}`)) expect(code).toBe(2);
    }), { numRuns: 60 });
  });

  test('text made of YAML and JSON punctuation (fast-check)', async () => {
    const token = fc.constantFrom('{', '}', '[', ']', ':', ',', '-', '&a', '*a', '!Ref', '!If', '!!str', '"', "'", '#', '|', '>', '\n', '  ', 'Resources', 'Type', 'AWS::KMS::Key', '__proto__', '<<', '?', '%YAML 1.1', '---', '...');
    await fc.assert(fc.asyncProperty(fc.array(token, { maxLength: 60 }), fc.constantFrom('json', 'yaml'), async (tokens, extension) => {
      await expectAllHandled(file(tokens.join(' '), extension), tokens.join(' '));
    }), { numRuns: 100 });
  });

  test('cloud assembly manifests of any shape (fast-check)', async () => {
    const artifact = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({
      type: fc.constantFrom('aws:cloudformation:stack', 'cdk:cloud-assembly', 'cdk:tree', 42),
      environment: fc.oneof(fc.constant('aws://111122223333/eu-west-1'), fc.jsonValue({ maxDepth: 1 })),
      displayName: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
      properties: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.record({
        templateFile: fc.oneof(fc.constant('Stack.template.json'), fc.constant('../../etc/passwd'), fc.jsonValue({ maxDepth: 1 })),
        directoryName: fc.oneof(fc.constant('.'), fc.constant('missing'), fc.jsonValue({ maxDepth: 1 })),
      }, { requiredKeys: [] })),
    }, { requiredKeys: [] }));
    const artifacts = fc.oneof(fc.dictionary(hostileName, artifact, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 1 }));
    const manifest = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ artifacts }));
    await fc.assert(fc.asyncProperty(manifest, async (value) => {
      const dir = fs.mkdtempSync(path.join(tmp, 'assembly-'));
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(value) ?? 'null');
      fs.writeFileSync(path.join(dir, 'Stack.template.json'), JSON.stringify(baseTemplate()));
      await expectAllHandled(dir, JSON.stringify(value)?.slice(0, 200) ?? 'undefined');
    }), { numRuns: 80 });
  });
});

describe('policies that cannot be evaluated do not pass silently', () => {
  const OPEN = { Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' };
  const ROOT = { Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' };
  const noValue = { Ref: 'AWS::NoValue' };
  const policy = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });

  /** Where the statement that opens the key to everyone hides behind Fn::If, on either side. */
  const hidden: [string, unknown][] = [];
  for (const [side, wrap] of [['true', (v: unknown, other: unknown) => ({ 'Fn::If': ['Open', v, other] })], ['false', (v: unknown, other: unknown) => ({ 'Fn::If': ['Open', other, v] })]] as const) {
    hidden.push(
      [`the whole KeyPolicy (${side} side, other side AWS::NoValue)`, wrap(policy(ROOT, OPEN), noValue)],
      [`the whole KeyPolicy (${side} side, other side a closed policy)`, wrap(policy(ROOT, OPEN), policy(ROOT))],
      [`the Statement list (${side} side)`, { Version: '2012-10-17', Statement: wrap([ROOT, OPEN], [ROOT]) }],
      [`one statement (${side} side)`, policy(ROOT, wrap(OPEN, noValue))],
      [`the Principal (${side} side)`, policy(ROOT, { ...OPEN, Principal: wrap('*', { AWS: 'arn:aws:iam::111122223333:role/x' }) })],
      [`the Action (${side} side)`, policy(ROOT, { ...OPEN, Principal: { AWS: 'arn:aws:iam::111122223333:role/x' }, Action: wrap('kms:*', 'kms:Decrypt') })],
      [`an If inside an If (${side} side)`, policy(ROOT, { 'Fn::If': ['Other', wrap(OPEN, noValue), noValue] })],
      [`the Condition (${side} side)`, policy(ROOT, { ...OPEN, Condition: wrap(noValue, { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } }) })],
    );
  }

  test.each(hidden)('%s: lint reports the worst branch (exit 1); explain shows the open branch', async (_, keyPolicy) => {
    // The same policy also written as a JSON string (CloudFormation accepts both): read the same way.
    for (const written of [keyPolicy, JSON.stringify(keyPolicy)]) {
      for (const extension of ['json', 'yaml']) {
        const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy'], written);
        const text = extension === 'json' ? JSON.stringify(template) : stringify(template, { aliasDuplicateObjects: false });
        const [lint, , explain] = await expectAllHandled(file(text, extension), `${_} ${extension}`);
        expect(lint.code).toBe(1);
        expect(lint.stdout).toMatch(/error +KMS(1|2) +.*\(when [^)]*Open is (true|false)[^)]*\)/);
        expect(explain.code).toBe(0);
        expect(explain.stdout.match(/^### .*\(when [^)]*Open is (true|false)/gm)?.length).toBeGreaterThanOrEqual(2);
        if (!_.startsWith('the Action')) expect(explain.stdout).toMatch(/\| anyone \(\\\*\) \| ✅ allowed/);
      }
    }
  });

  test.each([
    ['the whole policy from Fn::ImportValue', { 'Fn::ImportValue': 'SharedPolicy' }, 'the key policy (Fn::ImportValue("SharedPolicy"))'],
    ['a parameter without default', { Ref: 'PolicyParam' }, 'the key policy (${PolicyParam})'],
    ['a JSON string that does not parse', '{"Statement": [', 'the key policy (a JSON string that does not parse)'],
    ['a list', [ROOT], 'the key policy (a list, not a JSON object)'],
    ['an opaque statement', policy(ROOT, { 'Fn::ImportValue': 'Statement' }), 'statement #2 (Fn::ImportValue("Statement"))'],
    ['an opaque Statement list', { Statement: { 'Fn::GetAtt': ['Custom', 'Statements'] } }, 'the Statement list (${Custom.Statements})'],
    ['an opaque Effect', policy(ROOT, { ...OPEN, Effect: { Ref: 'EffectParam' } }), 'statement #2: Effect (${EffectParam})'],
    ['an opaque Action', policy(ROOT, { ...OPEN, Action: [{ 'Fn::ImportValue': 'Actions' }] }), 'statement #2: Action (Fn::ImportValue("Actions"))'],
    ['an opaque Condition', policy(ROOT, { ...OPEN, Condition: { 'Fn::ImportValue': 'Conditions' } }), 'statement #2: Condition (Fn::ImportValue("Conditions"))'],
  ])('%s: lint reports KMS14 (exit 1) and explain says so above the table', async (_, keyPolicy, part) => {
    const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy'], keyPolicy);
    template.Parameters.PolicyParam = { Type: 'String' };
    template.Parameters.EffectParam = { Type: 'String' };
    const [lint, , explain, html] = await expectAllHandled(file(template), _);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain(`error   KMS14 ${part} cannot be resolved offline, so it was not checked`);
    expect(explain.stdout).toContain(`**⚠️ Not resolved offline, so not in this table (it may allow more): ${part.replace(/([*_`<>])/g, '\\$1')}**`);
    expect(html.stdout).toContain('<p class="unresolved">');
    const json = JSON.parse((await run('explain', file(template), '--format', 'json')).stdout);
    expect(json.keys[0].unresolved).toEqual([part]);
  });

  test('a policy as a JSON string is read the same as the object by both commands (100 generated policies)', async () => {
    for (let seed = 1; seed <= 100; seed++) {
      const generated = randomKeyPolicy(new Gen(seed));
      const outputs = await Promise.all([generated, JSON.stringify(generated)].map(async (written) => {
        const input = file(placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy'], written));
        const lint = JSON.parse((await run('lint', input, '--format', 'json')).stdout);
        const explain = JSON.parse((await run('explain', input, '--format', 'json')).stdout);
        return {
          // KMS9 measures a string as written and an object as KMS would serialize it: sizes may differ by whitespace.
          lint: lint.findings.filter((f: any) => f.ruleId !== 'KMS9').map((f: any) => `${f.ruleId} ${f.message}`),
          explain: explain.keys.map((key: any) => ({ unresolved: key.unresolved, rows: key.rows })),
        };
      }));
      expect({ seed, ...outputs[1] }).toEqual({ seed, ...outputs[0] });
    }
  });
});

describe('intrinsics with arguments of the wrong shape (found by the property above)', () => {
  test.each([
    [{ 'Fn::Sub': [] }], [{ 'Fn::Sub': [1] }], [{ 'Fn::Sub': {} }], [{ 'Fn::Sub': null }],
    [{ Ref: 'toString' }], [{ 'Fn::Sub': '${constructor}' }], [{ 'Fn::Join': [{}, ['a']] }],
  ])('%j as the statements of a key policy: handled by both commands in every format', async (value) => {
    const template = placeValue(baseTemplate(), ['Resources', 'Key', 'Properties', 'KeyPolicy', 'Statement'], value);
    await expectAllHandled(JSON.stringify(template), JSON.stringify(value));
  });
});
