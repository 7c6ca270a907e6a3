import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmState } from '../../core/events/trigger-event';

/** Current state of each named metric or composite alarm; an alarm that does not exist is absent. */
export async function readAlarmStates(
  cloudwatch: CloudWatchClient,
  names: string[],
): Promise<Map<string, AlarmState>> {
  const states = new Map<string, AlarmState>();
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: names,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken,
      }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      if (alarm.AlarmName && alarm.StateValue) states.set(alarm.AlarmName, alarm.StateValue);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return states;
}
