import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

const PERIOD = Duration.minutes(5);

/** One event rule on the dashboard. */
export interface DashboardRule {
  readonly title: string;
  readonly ruleName: string;
}

/**
 * The widgets of a KeyAuditTrail's dashboard: events matched, denied calls and CIS 4.7, one row
 * per watched key and one per custom key store.
 */
export class KeyAuditDashboard {
  constructor(private readonly dashboard: cloudwatch.Dashboard) {}

  /** How often each event rule matched. */
  public addEventRules(rules: DashboardRule[]): void {
    if (rules.length === 0) return;
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({
      title: 'KMS events (rule matches)',
      width: 24,
      left: rules.map((rule) => new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: rule.ruleName },
        statistic: 'Sum',
        period: PERIOD,
        label: rule.title,
      })),
    }));
  }

  /** Denied calls and CIS 4.7 matches across the account. */
  public addAccountMetrics(denied: cloudwatch.IMetric, cis: cloudwatch.IMetric): void {
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Denied KMS calls', width: 12, left: [denied] }),
      new cloudwatch.GraphWidget({ title: 'Keys disabled or scheduled for deletion (CIS 4.7)', width: 12, left: [cis] }),
    );
  }

  /** A watched key: successful requests by operation, and denied requests. */
  public addKey(label: string, namespace: string, successfulMetricName: string, denied: cloudwatch.IMetric): void {
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${label}: successful requests by operation`,
        width: 12,
        left: [new cloudwatch.MathExpression({
          expression: `SEARCH('{${namespace},Operation} MetricName="${successfulMetricName}"', 'Sum', ${PERIOD.toSeconds()})`,
          usingMetrics: {},
          label: 'SuccessfulRequest',
          period: PERIOD,
        })],
      }),
      new cloudwatch.GraphWidget({ title: `${label}: denied requests`, width: 12, left: [denied] }),
    );
  }

  /** A custom key store's alarms. */
  public addKeyStore(storeId: string, alarms: cloudwatch.IAlarm[]): void {
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: `Custom key store ${storeId}`, width: 24, alarms }));
  }
}
