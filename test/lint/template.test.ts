import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTemplateFile } from '../../cli/load';
import {
  Opaque, accountRootOf, conditionEntries, isOpaque, policyStatements, principalEntries, resolveIntrinsics, wildcardMatch,
} from '../../src/lint/template';

describe('resolveIntrinsics', () => {
  const template = {
    Parameters: {
      Env: { Type: 'String', Default: 'prod' },
      Accounts: { Type: 'CommaDelimitedList', Default: '111122223333, 444455556666' },
      NoDefault: { Type: 'String' },
    },
    Mappings: { Regions: { 'eu-west-1': { Org: 'o-eu' }, 'prod': { Org: 'o-prod' } } },
    Resources: { Role: { Type: 'AWS::IAM::Role' } },
  };
  const resolve = (value: any) => resolveIntrinsics(value, template);

  test('pseudo parameters stay symbolic, parameters resolve to their defaults', () => {
    expect(resolve({ Ref: 'AWS::AccountId' })).toBe('${AWS::AccountId}');
    expect(resolve({ Ref: 'Env' })).toBe('prod');
    expect(resolve({ Ref: 'Accounts' })).toEqual(['111122223333', '444455556666']);
  });

  test('what is only known at deploy time is opaque but present, with its origin', () => {
    expect(resolve({ Ref: 'NoDefault' })).toEqual(new Opaque('${NoDefault}', { logicalId: 'NoDefault' }));
    expect(resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toEqual(new Opaque('${Role.Arn}', { logicalId: 'Role', attribute: 'Arn' }));
    expect(resolve({ 'Fn::GetAtt': 'Role.Arn' })).toEqual(new Opaque('${Role.Arn}', { logicalId: 'Role', attribute: 'Arn' }));
    expect(isOpaque(resolve({ 'Fn::If': ['Cond', 'a', 'b'] }))).toBe(true);
    expect(isOpaque(resolve({ 'Fn::ImportValue': 'Shared' }))).toBe(true);
  });

  test('Fn::Join and Fn::Sub resolve what they can; an opaque part keeps the readable text', () => {
    expect(resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] }))
      .toBe('arn:${AWS::Partition}:iam::${AWS::AccountId}:root');
    expect(resolve({ 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/${Env}-app' })).toBe('arn:aws:iam::${AWS::AccountId}:role/prod-app');
    expect(resolve({ 'Fn::Sub': ['${Prefix}-${!Literal}', { Prefix: { Ref: 'Env' } }] })).toBe('prod-${Literal}');
    const mixed = resolve({ 'Fn::Sub': '${Role.Arn}/x' });
    expect(mixed).toEqual(new Opaque('${Role.Arn}/x'));
  });

  test('Fn::Select, Fn::Split and Fn::FindInMap', () => {
    expect(resolve({ 'Fn::Select': [1, { Ref: 'Accounts' }] })).toBe('444455556666');
    expect(isOpaque(resolve({ 'Fn::Select': [5, { Ref: 'Accounts' }] }))).toBe(true);
    expect(resolve({ 'Fn::Split': [',', 'a,b'] })).toEqual(['a', 'b']);
    expect(resolve({ 'Fn::FindInMap': ['Regions', { Ref: 'Env' }, 'Org'] })).toBe('o-prod');
    expect(isOpaque(resolve({ 'Fn::FindInMap': ['Regions', { Ref: 'AWS::Region' }, 'Org'] }))).toBe(true);
  });

  test('Ref AWS::NoValue removes the property or list element', () => {
    expect(resolve({ A: { Ref: 'AWS::NoValue' }, B: [1, { Ref: 'AWS::NoValue' }, 2] })).toEqual({ B: [1, 2] });
  });
});

describe('statement helpers', () => {
  test('accountRootOf recognises every account-root spelling, and nothing else', () => {
    expect(accountRootOf('arn:aws:iam::111122223333:root')).toBe('111122223333');
    expect(accountRootOf('111122223333')).toBe('111122223333');
    expect(accountRootOf('arn:${AWS::Partition}:iam::${AWS::AccountId}:root')).toBe('${AWS::AccountId}');
    expect(accountRootOf('arn:aws-us-gov:iam::111122223333:root')).toBe('111122223333');
    expect(accountRootOf(new Opaque('arn:aws:iam::${Account}:root'))).toBe('${Account}');
    expect(accountRootOf('arn:aws:iam::111122223333:role/root')).toBeUndefined();
    expect(accountRootOf('arn:aws:iam::1111:root')).toBeUndefined();
    expect(accountRootOf('arn:aws:iam::${Account}:root')).toBeUndefined();
  });

  test('principals, statements and conditions are normalised', () => {
    expect(principalEntries('*')).toEqual([{ kind: '*', value: '*' }]);
    expect(principalEntries({ AWS: ['a', 'b'], Service: 'logs.amazonaws.com' }).map((p) => `${p.kind}:${p.value}`))
      .toEqual(['AWS:a', 'AWS:b', 'Service:logs.amazonaws.com']);
    expect(policyStatements({ Statement: { Effect: 'Allow' } })).toEqual([{ statement: { Effect: 'Allow' }, index: 0 }]);
    expect(policyStatements(new Opaque('x'))).toEqual([]);
    const [entry] = conditionEntries({ Condition: { 'ForAnyValue:StringLikeIfExists': { 'kms:EncryptionContextKeys': 'a*' } } });
    expect(entry).toEqual({
      operator: 'ForAnyValue:StringLikeIfExists',
      qualifier: 'ForAnyValue',
      baseOperator: 'StringLike',
      ifExists: true,
      key: 'kms:EncryptionContextKeys',
      values: ['a*'],
    });
  });

  test('wildcardMatch is IAM-style and case-insensitive', () => {
    expect(wildcardMatch('kms:Generate*', 'kms:GenerateDataKey')).toBe(true);
    expect(wildcardMatch('KMS:decrypt', 'kms:Decrypt')).toBe(true);
    expect(wildcardMatch('kms:?ncrypt', 'kms:Encrypt')).toBe(true);
    expect(wildcardMatch('kms:Get*', 'kms:PutKeyPolicy')).toBe(false);
    expect(wildcardMatch('kms:Re.Encrypt*', 'kms:ReXEncryptFrom')).toBe(false);
  });
});

describe('YAML templates with CloudFormation short-form tags', () => {
  test('every short form becomes its long form', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kms-yaml-')), 'tags.yaml');
    fs.writeFileSync(file, [
      'Resources:',
      '  Thing:',
      '    Type: Custom::Thing',
      '    Condition: IsProd',
      '    Properties:',
      '      Ref: !Ref Env',
      '      Att: !GetAtt Role.Outputs.Arn',
      '      AttList: !GetAtt [Role, Arn]',
      '      Sub: !Sub "${AWS::Region}-x"',
      '      SubVars: !Sub ["${A}", { A: !Ref Env }]',
      '      Join: !Join [",", [a, !Ref Env]]',
      '      Select: !Select [0, !Split [",", "a,b"]]',
      '      If: !If [IsProd, !Base64 "x", !Ref "AWS::NoValue"]',
      '      Map: !FindInMap [M, !Ref Env, K]',
      '      Import: !ImportValue Shared',
      '      Cond: !Equals [!Condition IsProd, true]',
      '',
    ].join('\n'));
    const loaded = loadTemplateFile(file);
    expect(loaded.stackName).toBe('tags');
    expect(loaded.lineOf('Thing')).toBe(2);
    expect(loaded.template.Resources!.Thing.Properties).toEqual({
      Ref: { Ref: 'Env' },
      Att: { 'Fn::GetAtt': ['Role', 'Outputs.Arn'] },
      AttList: { 'Fn::GetAtt': ['Role', 'Arn'] },
      Sub: { 'Fn::Sub': '${AWS::Region}-x' },
      SubVars: { 'Fn::Sub': ['${A}', { A: { Ref: 'Env' } }] },
      Join: { 'Fn::Join': [',', ['a', { Ref: 'Env' }]] },
      Select: { 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] },
      If: { 'Fn::If': ['IsProd', { 'Fn::Base64': 'x' }, { Ref: 'AWS::NoValue' }] },
      Map: { 'Fn::FindInMap': ['M', { Ref: 'Env' }, 'K'] },
      Import: { 'Fn::ImportValue': 'Shared' },
      Cond: { 'Fn::Equals': [{ Condition: 'IsProd' }, true] },
    });
  });

  test('JSON lines point at the resource, not at a parameter of the same name; minified JSON is line 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kms-json-'));
    const template = { Parameters: { Key: { Type: 'String' } }, Resources: { Key: { Type: 'AWS::KMS::Key' } } };
    fs.writeFileSync(path.join(dir, 'pretty.json'), JSON.stringify(template, undefined, 2));
    fs.writeFileSync(path.join(dir, 'min.json'), JSON.stringify(template));
    const pretty = loadTemplateFile(path.join(dir, 'pretty.json'));
    expect(pretty.lineOf('Key')).toBe(8);
    expect(pretty.lineOf('Missing')).toBeUndefined();
    expect(loadTemplateFile(path.join(dir, 'min.json')).lineOf('Key')).toBe(1);
    fs.writeFileSync(path.join(dir, 'bom.json'), '\uFEFF' + JSON.stringify(template));
    expect(loadTemplateFile(path.join(dir, 'bom.json')).template).toEqual(template);
  });
});
