/**
 * Hostile input by class, many members each (fast-check): whatever a user passes as a primary ARN,
 * a Region pair, a tag or an alias, a replica either synthesizes or fails with a ValidationError
 * naming its construct path, never with another exception.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { MultiRegionKey, ReplicaKey } from '../../src';

const ACCOUNT = '111111111111';
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'sa-east-1'];
const RUNS = { numRuns: 40 };

/** Runs `build`; returns 'ok', or the ValidationError's message (any other error fails the test). */
function outcome(build: () => void): string {
  try {
    build();
    return 'ok';
  } catch (error) {
    expect((error as Error).name).toBe('ValidationError');
    return (error as Error).message;
  }
}

const replicaStack = (region = 'eu-west-1') => new Stack(new App(), 'R', { env: { account: ACCOUNT, region } });

test('any string as primaryKeyArn: accepted only as a multi-Region key ARN of the account in another Region', () => {
  const mrkArn = fc.tuple(fc.constantFrom(...REGIONS), fc.constantFrom(ACCOUNT, '222222222222'), fc.stringMatching(/^[0-9a-f]{32}$/))
    .map(([region, account, hex]) => `arn:aws:kms:${region}:${account}:key/mrk-${hex}`);
  const almost = mrkArn.chain((arn) => fc.constantFrom(arn.toUpperCase(), arn.replace('mrk-', ''), `${arn} `, arn.replace(':kms:', ':s3:'), arn.slice(0, -1)));
  fc.assert(fc.property(fc.oneof(mrkArn, almost, fc.string(), fc.string({ unit: 'binary' })), (arn) => {
    const result = outcome(() => new ReplicaKey(replicaStack(), 'Replica', { primaryKeyArn: arn }));
    const [, region, account] = /^arn:aws:kms:([^:]+):(\d{12}):key\/mrk-[0-9a-f]{32}$/.exec(arn) ?? [];
    const valid = region !== undefined && region !== 'eu-west-1' && account === ACCOUNT;
    if (valid) expect(result).toBe('ok');
    else expect(result).toMatch(/^R\/Replica: /);
  }), RUNS);
});

test('every pair of Regions: a replica is made exactly when the Regions differ', () => {
  fc.assert(fc.property(fc.constantFrom(...REGIONS), fc.constantFrom(...REGIONS), (primaryRegion, replicaRegion) => {
    const app = new App();
    const key = new MultiRegionKey(new Stack(app, 'P', { env: { account: ACCOUNT, region: primaryRegion } }), 'Key');
    const result = outcome(() => key.replicateTo(new Stack(app, 'R', { env: { account: ACCOUNT, region: replicaRegion } })));
    expect(result === 'ok').toBe(primaryRegion !== replicaRegion);
  }), { numRuns: 20 });
});

test('tag keys and values, including __proto__ and constructor, land as given', () => {
  const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'), fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.:/=+@-]{0,40}$/));
  fc.assert(fc.property(key, fc.stringMatching(/^[a-zA-Z0-9 _.:/=+@-]{0,40}$/), (tagKey, tagValue) => {
    const app = new App();
    const primary = new MultiRegionKey(new Stack(app, 'P', { env: { account: ACCOUNT, region: 'us-east-1' } }), 'Key');
    const stack = new Stack(app, 'R', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const tags = Object.create(null) as Record<string, string>;
    tags[tagKey] = tagValue;
    primary.replicateTo(stack, { tags });
    const resource = Object.values(app.synth().getStackByName('R').template.Resources).find((r: any) => r.Type === 'AWS::KMS::ReplicaKey') as any;
    expect(resource.Properties.Tags).toEqual([{ Key: tagKey, Value: tagValue }]);
  }), { numRuns: 10 });
});

test('hostile alias names on a replica: a ValidationError or an alias of exactly that name', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.constantFrom('alias/aws/x', '', 'alias/', '__proto__', 'a'.repeat(300))), (alias) => {
    const app = new App();
    const primary = new MultiRegionKey(new Stack(app, 'P', { env: { account: ACCOUNT, region: 'us-east-1' } }), 'Key');
    const result = outcome(() => primary.replicateTo(new Stack(app, 'R', { env: { account: ACCOUNT, region: 'eu-west-1' } }), { aliases: [alias] }));
    if (result === 'ok') expect(primary.replicaIn('eu-west-1')!.aliases).toEqual([alias.startsWith('alias/') ? alias : `alias/${alias}`]);
    else expect(result).toMatch(/^R\/Key: alias /);
  }), RUNS);
});
