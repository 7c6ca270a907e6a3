/**
 * The member alarms as CloudWatch evaluates them, with the windows drpilot puts on them
 * (`MEMBER_ALARM_WINDOWS`: five-minute Average periods, up when 2 of the last 3 are at or above
 * scaleUpAt, down when 6 of the last 6 are at or below scaleDownAt, missing data not breaching).
 * CloudWatch's rule: with "Datapoints to Alarm" M and "Evaluation Periods" N, an alarm is in ALARM
 * when at least M of the last N datapoints breach, and a missing datapoint treated as
 * `notBreaching` counts as within the threshold (Amazon CloudWatch User Guide, "Alarm evaluation"
 * and "Configuring how CloudWatch alarms treat missing data").
 */
import { MEMBER_ALARM_WINDOWS } from '../member-alarms';

export const PERIOD_MINUTES = MEMBER_ALARM_WINDOWS.up.periodSeconds / 60;

const KEEP = Math.max(
  MEMBER_ALARM_WINDOWS.up.evaluationPeriods,
  MEMBER_ALARM_WINDOWS.down.evaluationPeriods,
);

export interface AlarmThresholds {
  scaleUpAt: number;
  scaleDownAt: number;
}

export interface AlarmStates {
  /** Some member's up alarm is in ALARM. */
  up: boolean;
  /** Some member's down alarm is in ALARM. */
  down: boolean;
}

export class MemberAlarmModel {
  /** Per member, its last datapoints, newest last (null: no datapoint in that period). */
  private readonly history = new Map<string, (number | null)[]>();

  constructor(private readonly thresholds: AlarmThresholds) {}

  /** One period ended: each member's datapoint for it (members not listed are gone). */
  period(datapoints: ReadonlyMap<string, number | null>): void {
    for (const id of [...this.history.keys()]) {
      if (!datapoints.has(id)) this.history.delete(id);
    }
    for (const [id, datapoint] of datapoints) {
      const history = this.history.get(id) ?? [];
      history.push(datapoint);
      if (history.length > KEEP) history.shift();
      this.history.set(id, history);
    }
  }

  states(): AlarmStates {
    const { up, down } = MEMBER_ALARM_WINDOWS;
    let anyUp = false;
    let anyDown = false;
    for (const history of this.history.values()) {
      const breaching = (periods: number, breaches: (value: number) => boolean) =>
        history.slice(-periods).filter((value) => value !== null && breaches(value)).length;
      if (
        breaching(up.evaluationPeriods, (v) => v >= this.thresholds.scaleUpAt) >=
        up.datapointsToAlarm
      )
        anyUp = true;
      if (
        breaching(down.evaluationPeriods, (v) => v <= this.thresholds.scaleDownAt) >=
        down.datapointsToAlarm
      )
        anyDown = true;
    }
    return { up: anyUp, down: anyDown };
  }
}
