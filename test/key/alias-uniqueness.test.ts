/**
 * Issue 10, item 8: an alias name is unique per account and Region. Random apps (stacks in
 * several environments, nested stages, aliases made by ManagedKey, kms.Alias and CfnAlias) are
 * compared with a model of which aliases would collide at deploy time.
 */
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import fc from 'fast-check';
import { ManagedKey } from '../../src';
import { synthTemplate } from '../support/template';

const ENVIRONMENTS = {
  'A/eu-west-1': { account: '111111111111', region: 'eu-west-1' },
  'A/us-east-1': { account: '111111111111', region: 'us-east-1' },
  'B/eu-west-1': { account: '222222222222', region: 'eu-west-1' },
  'agnostic': undefined,
} as const;
type EnvName = keyof typeof ENVIRONMENTS;

const HOW = ['ManagedKey prop', 'ManagedKey.addAlias', 'kms.Alias on a ManagedKey', 'kms.Alias on a kms.Key', 'CfnAlias'] as const;
type How = typeof HOW[number];
const NAMES = ['orders', 'billing'];

interface AliasSpec { readonly name: string; readonly how: How }
interface StackSpec { readonly env: EnvName; readonly stage?: 'Beta' | 'Prod'; readonly aliases: AliasSpec[] }

function addAlias(stack: Stack, id: string, spec: AliasSpec): void {
  const full = `alias/${spec.name}`;
  switch (spec.how) {
    case 'ManagedKey prop': new ManagedKey(stack, id, { aliases: [spec.name] }); return;
    case 'ManagedKey.addAlias': new ManagedKey(stack, id).addAlias(full); return;
    case 'kms.Alias on a ManagedKey': new kms.Alias(stack, id, { aliasName: full, targetKey: new ManagedKey(stack, `${id}Key`) }); return;
    case 'kms.Alias on a kms.Key':
      new kms.Alias(stack, id, { aliasName: full, targetKey: new kms.Key(stack, `${id}Key`, { enableKeyRotation: true }) });
      return;
    case 'CfnAlias': new kms.CfnAlias(stack, id, { aliasName: full, targetKeyId: new ManagedKey(stack, `${id}Key`).keyId }); return;
  }
}

/** The collisions the model expects, as `<name> is defined <n> times`: same name, same concrete environment (or both deploy-time in one stage). */
function expectedCollisions(stacks: StackSpec[]): string[] {
  const seen = new Map<string, number>();
  for (const stack of stacks) {
    const environment = stack.env === 'agnostic' ? `agnostic in ${stack.stage ?? 'app'}` : stack.env;
    for (const alias of stack.aliases) {
      const key = `${environment}|${alias.name}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  return [...seen.entries()].filter(([, count]) => count > 1).map(([key, count]) => `alias alias/${key.split('|')[1]} is defined ${count} times in `);
}

describe('item 8: alias names are unique per account and Region across the app', () => {
  test('random apps: synth fails exactly when two aliases share a name in one environment, naming both', () => {
    const aliasSpec = fc.record({ name: fc.constantFrom(...NAMES), how: fc.constantFrom(...HOW) });
    const stackSpec = fc.record({
      env: fc.constantFrom(...Object.keys(ENVIRONMENTS) as EnvName[]),
      stage: fc.option(fc.constantFrom<'Beta' | 'Prod'>('Beta', 'Prod'), { nil: undefined }),
      aliases: fc.array(aliasSpec, { maxLength: 2 }),
    });
    fc.assert(fc.property(fc.array(stackSpec, { minLength: 1, maxLength: 3 }), (stacks) => {
      const app = new App();
      const stages = new Map<string, Stage>();
      const built = stacks.map((spec, i) => {
        const parent = spec.stage ? stages.get(spec.stage) ?? stages.set(spec.stage, new Stage(app, spec.stage)).get(spec.stage)! : app;
        const stack = new Stack(parent, `S${i}`, { env: ENVIRONMENTS[spec.env] });
        new ManagedKey(stack, 'Anchor');
        spec.aliases.forEach((alias, j) => addAlias(stack, `A${j}`, alias));
        return stack;
      });
      const expected = expectedCollisions(stacks);
      let message = '';
      try {
        app.synth();
      } catch (error) {
        message = (error as Error).message;
      }
      if (expected.length === 0) expect(message).toBe('');
      // Synthesis stops at the first stage whose validation fails: at least one expected collision is
      // named, and every one named is expected.
      if (expected.length > 0) expect(expected.some((collision) => message.includes(collision))).toBe(true);
      for (const named of message.match(/alias \S+ is defined \d+ times in /g) ?? []) expect(expected).toContain(named);
      if (expected.length > 0) expect(message).toMatch(/\((\S+\/)?S\d\/A\d[^,]*, (\S+\/)?S\d\/A\d[^)]*\); an alias name is unique per account and Region/);
      void built;
    }), { numRuns: 30 });
  });

  test('a template of an app with aliases in several environments is valid CloudFormation', () => {
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: ENVIRONMENTS['A/eu-west-1'] });
    HOW.forEach((how, i) => addAlias(stack, `A${i}`, { name: `name${i}`, how }));
    expect(Object.keys(synthTemplate(stack).findResources('AWS::KMS::Alias'))).toHaveLength(HOW.length);
  });

  test('two ManagedKeys in one stack with alias orders: a synth error naming both aliases', () => {
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: ENVIRONMENTS['A/eu-west-1'] });
    new ManagedKey(stack, 'Orders', { aliases: ['orders'] });
    new ManagedKey(stack, 'Other', { aliases: ['alias/orders'] });
    expect(() => app.synth()).toThrow(
      'alias alias/orders is defined 2 times in account 111111111111, Region eu-west-1 (Platform/Orders/Alias, Platform/Other/Alias)');
  });

  test('the same alias in two Regions or two accounts is fine', () => {
    const app = new App();
    new ManagedKey(new Stack(app, 'Eu', { env: ENVIRONMENTS['A/eu-west-1'] }), 'Key', { aliases: ['orders'] });
    new ManagedKey(new Stack(app, 'Us', { env: ENVIRONMENTS['A/us-east-1'] }), 'Key', { aliases: ['orders'] });
    new ManagedKey(new Stack(app, 'B', { env: ENVIRONMENTS['B/eu-west-1'] }), 'Key', { aliases: ['orders'] });
    expect(() => app.synth()).not.toThrow();
  });
});
