/**
 * Alarms on the AWS/KMS metrics KMS publishes for custom key stores. Each metric carries the
 * CustomKeyStoreId dimension beside others (KmsOperation, XksOperation, KeySpec, ...), so an alarm
 * aggregates with a CloudWatch Metrics Insights query over every dimension set of one store.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { CloudHsmKeyStoreAlarmOptions, ExternalKeyStoreAlarmOptions } from './key-store-alarm-options';

/** One alarm: a Metrics Insights query, how it compares, and what it means. */
export interface KeyStoreAlarmSpec {
  readonly id: string;
  readonly metricName: string;
  readonly query: string;
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold' | 'LessThanOrEqualToThreshold';
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly description: string;
}

/** Five minutes: the period every key store alarm uses. */
export const KEY_STORE_ALARM_PERIOD = Duration.minutes(5);

const STORE_ID = /^cks-[a-z0-9]{1,64}$/;

/** Problems with a custom key store id (tokens are checked at deploy time by KMS). */
export function keyStoreIdProblems(id: string): string[] {
  if (Token.isUnresolved(id) || STORE_ID.test(id)) return [];
  return [`'${id}' is not a custom key store id: pass the id KMS assigned (cks- followed by lowercase letters and digits, e.g. cks-1234567890abcdef0)`];
}

function query(statistic: string, metric: string, storeId: string, extraWhere = ''): string {
  return `SELECT ${statistic}(${metric}) FROM "AWS/KMS" WHERE CustomKeyStoreId = '${storeId}'${extraWhere}`;
}

/** The alarms of an external key store, with their documented default thresholds. */
export function externalKeyStoreAlarms(storeId: string, options: ExternalKeyStoreAlarmOptions = {}): KeyStoreAlarmSpec[] {
  const latency = (options.latencyThreshold ?? Duration.millis(200)).toMilliseconds();
  const errors = options.errorsThreshold ?? 5;
  const certificateDays = options.certificateDaysToExpire ?? 30;
  const credentialDays = options.credentialAgeDays ?? 90;
  return [
    {
      id: 'ProxyErrors',
      metricName: 'XksProxyErrors',
      query: query('SUM', 'XksProxyErrors', storeId),
      threshold: errors,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `External key store ${storeId}: ${errors} or more XKS proxy errors in 5 minutes. Requests with keys in the store fail.`,
    },
    {
      id: 'ProxyLatency',
      metricName: 'XksProxyLatency',
      query: query('AVG', 'XksProxyLatency', storeId),
      threshold: latency,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `External key store ${storeId}: average XKS proxy latency at or over ${latency} ms; KMS fails requests after 250 ms.`,
    },
    {
      id: 'KeyManagerNotActive',
      metricName: 'XksExternalKeyManagerStates',
      query: query('MAX', 'XksExternalKeyManagerStates', storeId, " AND XksExternalKeyManagerState != 'Active'"),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `External key store ${storeId}: an external key manager reports Degraded or Unavailable.`,
    },
    {
      id: 'CertificateExpiry',
      metricName: 'XksProxyCertificateDaysToExpire',
      query: query('MIN', 'XksProxyCertificateDaysToExpire', storeId),
      threshold: certificateDays,
      comparison: 'LessThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `External key store ${storeId}: the XKS proxy's TLS certificate expires in ${certificateDays} days or less.`,
    },
    {
      id: 'CredentialAge',
      metricName: 'XksProxyCredentialAge',
      query: query('MAX', 'XksProxyCredentialAge', storeId),
      threshold: credentialDays,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `External key store ${storeId}: the XKS proxy authentication credential is ${credentialDays} days old or older; rotate it.`,
    },
    throttleAlarm('ExternalKeyStoreThrottle', storeId, options.throttleThreshold),
  ];
}

/** The alarms of a CloudHSM key store. */
export function cloudHsmKeyStoreAlarms(storeId: string, options: CloudHsmKeyStoreAlarmOptions = {}): KeyStoreAlarmSpec[] {
  return [throttleAlarm('CloudHSMKeyStoreThrottle', storeId, options.throttleThreshold)];
}

function throttleAlarm(metric: string, storeId: string, threshold = 10): KeyStoreAlarmSpec {
  return {
    id: 'Throttle',
    metricName: metric,
    query: query('SUM', metric, storeId),
    threshold,
    comparison: 'GreaterThanOrEqualToThreshold',
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: `Custom key store ${storeId}: KMS throttled ${threshold} or more requests in 5 minutes.`,
  };
}
