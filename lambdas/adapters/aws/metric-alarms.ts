import {
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  paginateDescribeAlarms,
  type CloudWatchClient,
  type ComparisonOperator,
  type MetricAlarm,
  type StateValue,
  type Statistic,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmState } from '../../core/events/trigger-event';
import type { ExistingMetricAlarm, MetricAlarmSpec } from '../../core/resize/member-alarms';

/** DeleteAlarms takes at most 100 names per call. */
const DELETE_BATCH = 100;

/** Every metric alarm whose name starts with `prefix` (in `state` only, when given), page by page. */
async function* metricAlarmsUnder(
  cloudwatch: CloudWatchClient,
  prefix: string,
  state?: StateValue,
): AsyncGenerator<MetricAlarm> {
  const pages = paginateDescribeAlarms(
    { client: cloudwatch },
    {
      AlarmNamePrefix: prefix,
      AlarmTypes: ['MetricAlarm'],
      ...(state === undefined ? {} : { StateValue: state }),
    },
  );
  for await (const page of pages) yield* page.MetricAlarms ?? [];
}

/** Every metric alarm whose name starts with `prefix` (composite alarms are not listed). */
export async function listMetricAlarms(
  cloudwatch: CloudWatchClient,
  prefix: string,
): Promise<ExistingMetricAlarm[]> {
  const alarms: ExistingMetricAlarm[] = [];
  for await (const alarm of metricAlarmsUnder(cloudwatch, prefix)) {
    alarms.push({
      name: alarm.AlarmName ?? '',
      description: alarm.AlarmDescription ?? '',
      // An alarm on metric math has neither: it differs from every alarm drpilot wants.
      namespace: alarm.Namespace ?? '',
      metricName: alarm.MetricName ?? '',
      dimensions: (alarm.Dimensions ?? []).map((d) => ({
        name: d.Name ?? '',
        value: d.Value ?? '',
      })),
      statistic: alarm.Statistic ?? alarm.ExtendedStatistic ?? '',
      periodSeconds: alarm.Period ?? 0,
      evaluationPeriods: alarm.EvaluationPeriods ?? 0,
      // CloudWatch omits DatapointsToAlarm when it was not set, which means "all of them".
      datapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 0,
      threshold: alarm.Threshold ?? Number.NaN,
      comparisonOperator: alarm.ComparisonOperator ?? '',
      treatMissingData: alarm.TreatMissingData ?? 'missing',
      actions: [
        ...(alarm.AlarmActions ?? []),
        ...(alarm.OKActions ?? []),
        ...(alarm.InsufficientDataActions ?? []),
      ],
    });
  }
  return alarms;
}

/** The names of the metric alarms under `prefix` that are in ALARM now. */
export async function alarmingAlarmNames(
  cloudwatch: CloudWatchClient,
  prefix: string,
): Promise<string[]> {
  const names: string[] = [];
  for await (const alarm of metricAlarmsUnder(cloudwatch, prefix, 'ALARM'))
    if (alarm.AlarmName) names.push(alarm.AlarmName);
  return names;
}

/** The name and state of every metric alarm whose name starts with `prefix`. */
export async function metricAlarmStates(
  cloudwatch: CloudWatchClient,
  prefix: string,
): Promise<{ name: string; state: AlarmState }[]> {
  const alarms: { name: string; state: AlarmState }[] = [];
  for await (const alarm of metricAlarmsUnder(cloudwatch, prefix))
    if (alarm.AlarmName && alarm.StateValue)
      alarms.push({ name: alarm.AlarmName, state: alarm.StateValue });
  return alarms;
}

/**
 * Creates the alarm or overwrites its whole configuration, so actions it had are removed. Tags
 * are applied only when the alarm is created: CloudWatch ignores them on an update.
 */
export async function putMetricAlarm(
  cloudwatch: CloudWatchClient,
  spec: MetricAlarmSpec,
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: spec.name,
      AlarmDescription: spec.description,
      Namespace: spec.namespace,
      MetricName: spec.metricName,
      Dimensions: spec.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      Statistic: spec.statistic as Statistic,
      Period: spec.periodSeconds,
      EvaluationPeriods: spec.evaluationPeriods,
      DatapointsToAlarm: spec.datapointsToAlarm,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparisonOperator as ComparisonOperator,
      TreatMissingData: spec.treatMissingData,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/**
 * Deletes the named alarms, 100 per call. A name that no longer exists (a concurrent run deleted
 * it) does not keep CloudWatch from deleting the others in its call.
 */
export async function deleteAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<void> {
  for (let offset = 0; offset < names.length; offset += DELETE_BATCH) {
    await cloudwatch.send(
      new DeleteAlarmsCommand({ AlarmNames: names.slice(offset, offset + DELETE_BATCH) }),
    );
  }
}
