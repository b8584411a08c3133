/**
 * The crypto function shared by the envelope constructs (internal: not exported from the package).
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvelopeAlgorithmSuite, EnvelopeCryptoOptions } from './crypto-options';
import { bundledAssetDir } from '../assets';
import { assertNoProblems } from '../errors';
import { acceptFinding } from '../nag-suppressions';

/**
 * The folder of a prebuilt function bundle (`assets/<group>/<name>`, made by `npx projen bundle`).
 * The same relative path works from src/envelope and lib/envelope.
 * @internal
 */
export function envelopeAssetPath(name: string): string {
  return bundledAssetDir('envelope', name);
}

function checkRange(problems: string[], name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
}

/**
 * The codec environment variables of the crypto function (read by lambda/envelope/config.ts),
 * after checking the options.
 * @internal
 */
export function codecEnvironment(scope: Construct, keyArn: string, options: EnvelopeCryptoOptions): Record<string, string> {
  const cache = options.cache ?? {};
  const problems: string[] = [];
  const maxAgeSeconds = cache.maxAge?.toSeconds();
  checkRange(problems, 'cache.maxAge (seconds)', maxAgeSeconds, 1, 86_400);
  checkRange(problems, 'cache.maxMessagesPerDataKey', cache.maxMessagesPerDataKey, 1, 2 ** 32);
  checkRange(problems, 'cache.maxBytesPerDataKey (bytes)', cache.maxBytesPerDataKey?.toBytes(), 1, 2 ** 50);
  checkRange(problems, 'cache.capacity', cache.capacity, 1, 100_000);
  assertNoProblems(scope, problems);

  const env: Record<string, string> = {
    ENVELOPE_KEY_ARN: keyArn,
    ENVELOPE_ALGORITHM_SUITE: options.algorithmSuite ?? EnvelopeAlgorithmSuite.COMMITTING,
  };
  if (cache.enabled === false) {
    env.ENVELOPE_CACHE_MAX_AGE_SECONDS = '0';
    return env;
  }
  if (maxAgeSeconds !== undefined) env.ENVELOPE_CACHE_MAX_AGE_SECONDS = String(maxAgeSeconds);
  if (cache.maxMessagesPerDataKey !== undefined) env.ENVELOPE_CACHE_MAX_MESSAGES = String(cache.maxMessagesPerDataKey);
  if (cache.maxBytesPerDataKey !== undefined) env.ENVELOPE_CACHE_MAX_BYTES = String(cache.maxBytesPerDataKey.toBytes());
  if (cache.capacity !== undefined) env.ENVELOPE_CACHE_CAPACITY = String(cache.capacity);
  return env;
}

/** What a crypto function needs beyond the shared options. @internal */
export interface CryptoFunctionSpec {
  /** The bundle name under assets/envelope/. */
  readonly bundle: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly options: EnvelopeCryptoOptions;
}

/**
 * A crypto function: Node.js 24 on ARM64 from a prebuilt bundle, JSON logs in its own log group.
 * @internal
 */
export function createCryptoFunction(scope: Construct, id: string, spec: CryptoFunctionSpec): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: spec.options.logRetention ?? logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const fn = new lambda.Function(scope, id, {
    description: spec.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(envelopeAssetPath(spec.bundle)),
    memorySize: spec.options.memorySize ?? 1024,
    timeout: spec.options.timeout ?? Duration.seconds(30),
    environment: { ...spec.environment, POWERTOOLS_SERVICE_NAME: 'cdk-kms-patterns-envelope' },
    logGroup,
  });
  acceptFinding(fn, 'IAM4', 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs.',
    ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  return fn;
}
