/**
 * Alias names are unique per account and Region. ManagedKey registers one check per stage that
 * looks at every AWS::KMS::Alias of the whole app (ours, plain `kms.Alias`, and raw `CfnAlias`),
 * groups them by the environment of their stack and reports each name defined twice. How it covers
 * the class: it judges the synthesized alias resources, not the props of our own keys, so every
 * way to create an alias is seen; stacks whose account or Region is only known at deploy time are
 * compared within their stage (they deploy where the CLI's environment says, which is usually the
 * same place for one stage).
 */
import { CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

const ALIAS_TYPE = 'AWS::KMS::Alias';
const CHECKED = new WeakSet<IConstruct>();

/**
 * Registers the app-wide alias check once per stage, on `key` (the stage's first ManagedKey), so
 * the error carries a construct path; the message names every colliding alias.
 */
export function checkAliasesUniquePerEnvironment(key: IConstruct): void {
  const stage: IConstruct = Stage.of(key) ?? key.node.root;
  if (CHECKED.has(stage)) return;
  CHECKED.add(stage);
  key.node.addValidation({ validate: () => aliasCollisions(stage) });
}

/** One sentence per alias name defined more than once in one environment, when one of them is in `stage`. */
export function aliasCollisions(stage: IConstruct): string[] {
  const byEnvironment = new Map<string, { readonly name: string; readonly environment: string; readonly aliases: IConstruct[] }>();
  for (const construct of stage.node.root.node.findAll()) {
    if (!CfnResource.isCfnResource(construct) || construct.cfnResourceType !== ALIAS_TYPE) continue;
    const stack = Stack.of(construct);
    const name = stack.resolve((construct as unknown as { aliasName?: unknown }).aliasName);
    if (typeof name !== 'string') continue;
    const environment = environmentOf(stack);
    const key = JSON.stringify([environment, name]);
    const entry = byEnvironment.get(key) ?? { name, environment, aliases: [] };
    // Name the L2 (`Stack/Key/Alias`) rather than its CfnAlias child (`.../Alias/Resource`).
    const owner = construct.node.scope;
    entry.aliases.push(owner && owner.node.defaultChild === construct ? owner : construct);
    byEnvironment.set(key, entry);
  }
  // Each stage reports the collisions that involve its own aliases, so a collision is reported where it is.
  return [...byEnvironment.values()]
    .filter((entry) => entry.aliases.length > 1 && entry.aliases.some((alias) => (Stage.of(alias) ?? alias.node.root) === stage))
    .map((entry) => `alias ${entry.name} is defined ${entry.aliases.length} times in ${entry.environment} ` +
      `(${entry.aliases.map((alias) => alias.node.path).join(', ')}); ` +
      'an alias name is unique per account and Region: give each key its own alias name, or deploy the stacks to different environments');
}

/** `account 111122223333, Region eu-west-1`; a deploy-time account or Region is scoped to the stack's stage. */
function environmentOf(stack: Stack): string {
  const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  const stagePath = Stage.of(stack)?.node.path || 'the app';
  return `account ${account ?? `of stage ${stagePath} (from the deploy environment)`}, Region ${region ?? `of stage ${stagePath} (from the deploy environment)`}`;
}
