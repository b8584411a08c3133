import { Duration } from 'aws-cdk-lib';

/** Thresholds of the alarms on an external key store (XKS). */
export interface ExternalKeyStoreAlarmOptions {
  /**
   * Average proxy latency that alarms, for 2 of 3 five-minute periods. KMS gives the proxy 250 ms
   * per request and fails the request after that.
   * @default Duration.millis(200)
   */
  readonly latencyThreshold?: Duration;

  /**
   * Proxy errors (all XksProxyErrorType values) in five minutes that alarm.
   * @default 5
   */
  readonly errorsThreshold?: number;

  /**
   * Days before the proxy's TLS certificate expires when the alarm starts.
   * @default 30
   */
  readonly certificateDaysToExpire?: number;

  /**
   * Age in days of the proxy authentication credential that alarms (rotate it before then).
   * @default 90
   */
  readonly credentialAgeDays?: number;

  /**
   * Requests KMS throttled for the store in five minutes that alarm.
   * @default 10
   */
  readonly throttleThreshold?: number;
}

/** Thresholds of the alarms on a CloudHSM key store. */
export interface CloudHsmKeyStoreAlarmOptions {
  /**
   * Requests KMS throttled for the store in five minutes that alarm.
   * @default 10
   */
  readonly throttleThreshold?: number;
}
