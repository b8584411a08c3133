import { CustomResource, Duration, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { KeyStoreHandler } from './handler';
import { assertNoProblems } from '../errors';

/** The kind of custom key store, which is also the `Origin` of the keys inside it. */
export enum CustomKeyStoreType {
  /** An external key store: keys in your HSM behind an XKS proxy. */
  EXTERNAL_KEY_STORE = 'EXTERNAL_KEY_STORE',
  /** A CloudHSM key store: keys in an AWS CloudHSM cluster. */
  AWS_CLOUDHSM = 'AWS_CLOUDHSM',
}

/** A KMS custom key store that keys can be created in. */
export interface ICustomKeyStore extends IConstruct {
  /** The store's id, `cks-...`. */
  readonly keyStoreId: string;
  /** The store's kind (the `Origin` of its keys). */
  readonly keyStoreType: CustomKeyStoreType;
  /** The role of the function that manages the store and creates, updates and deletes its keys. */
  readonly handlerRole: iam.IRole;
  /** The service token of the custom-resource provider that manages the store and its keys. */
  readonly serviceToken: string;
}

/** Options shared by both kinds of store. */
export interface CustomKeyStoreOptions {
  /**
   * The store's name, unique in the account and Region.
   * @default - a name made from the construct path
   */
  readonly keyStoreName?: string;

  /**
   * What happens to the store when it leaves the stack. With DESTROY the store is disconnected and
   * deleted, unless it still holds keys (then the delete fails and says so).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long a deploy waits for the store to connect before it fails with the store's state.
   * @default Duration.minutes(60)
   */
  readonly connectionTimeout?: Duration;
}

/** The Provider framework's limit on waiting. */
const MAX_TIMEOUT_MINUTES = 120;
/** Extra time for the provider, so the handler's own (explained) time-out fires first. */
const PROVIDER_MARGIN = Duration.minutes(2);

/** @internal */
export function storeName(scope: Construct, given: string | undefined): string {
  if (given !== undefined && !Token.isUnresolved(given) && (given.length < 1 || given.length > 256)) {
    assertNoProblems(scope, [`keyStoreName '${given}' must be 1 to 256 characters`]);
  }
  return given ?? Names.uniqueResourceName(scope, { maxLength: 256, separator: '-' });
}

/** @internal */
export function createStoreResource(
  scope: Construct,
  type: CustomKeyStoreType,
  options: CustomKeyStoreOptions,
  secrets: secretsmanager.ISecret[],
  properties: Record<string, string | undefined>,
): { handler: KeyStoreHandler; resource: CustomResource } {
  const timeout = options.connectionTimeout ?? Duration.minutes(60);
  const minutes = timeout.toMinutes({ integral: false });
  if (!timeout.isUnresolved() && (minutes < 1 || minutes > MAX_TIMEOUT_MINUTES - PROVIDER_MARGIN.toMinutes())) {
    assertNoProblems(scope, [`connectionTimeout ${timeout.toHumanString()} is outside 1 to ${MAX_TIMEOUT_MINUTES - PROVIDER_MARGIN.toMinutes()} minutes (the custom-resource Provider framework waits at most two hours)`]);
  }
  const handler = new KeyStoreHandler(scope, 'Handler', { origin: type, secrets, totalTimeout: timeout.plus(PROVIDER_MARGIN) });
  const defined: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) if (value !== undefined) defined[name] = value;
  const resource = new CustomResource(scope, 'Resource', {
    serviceToken: handler.provider.serviceToken,
    resourceType: 'Custom::KmsCustomKeyStore',
    properties: { CustomKeyStoreType: type, ...defined, TimeoutSeconds: String(timeout.toSeconds()) },
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  // The role's policy must exist before the handler runs.
  resource.node.addDependency(handler.role);
  return { handler, resource };
}
