import {
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../../lambdas/adapters/aws/sdk-clients/cloudwatch';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { SIDES } from '../../lambdas/core/config/schema';

/**
 * The health alarms as the DNS construct defines them: Route 53 HealthCheckStatus (us-east-1 only)
 * below 1 for a minute. moto never evaluates alarms, so each is set to OK explicitly.
 */
export async function seedHealthAlarms(
  cloudwatch: CloudWatchClient,
  config: DrpilotConfig,
  healthCheckIds: Record<Side, string>,
): Promise<void> {
  for (const side of SIDES) {
    const AlarmName = config.clusters[side].healthAlarm;
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName,
        AlarmDescription: `${config.clusters[side].endpoint} fails its Route 53 health check`,
        Namespace: 'AWS/Route53',
        MetricName: 'HealthCheckStatus',
        Dimensions: [{ Name: 'HealthCheckId', Value: healthCheckIds[side] }],
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'missing',
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName,
        StateValue: 'OK',
        StateReason: 'embedded estate: endpoint healthy',
      }),
    );
  }
}

/** Puts a side's health alarm in a state, as CloudWatch would when its health check fails or recovers. */
export async function setHealthAlarm(
  config: DrpilotConfig,
  side: Side,
  state: 'OK' | 'ALARM',
  reason: string,
): Promise<void> {
  await cloudWatchClient(config.controlRegion).send(
    new SetAlarmStateCommand({
      AlarmName: config.clusters[side].healthAlarm,
      StateValue: state,
      StateReason: reason,
    }),
  );
}
