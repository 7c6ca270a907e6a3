/**
 * Which DNS action a trigger asks for. Pure: the handler plans (plan-switch.ts) and acts.
 *
 * An alarm fires only on a transition, so a failover refused when the primary alarm went to
 * ALARM would never be retried; `reconcileAction` is the every-minute re-plan that covers it
 * (and, with dns.autoFailback, a refused automatic failback — e.g. still in cooldown).
 */
import type { DrpilotConfig, Side } from '../config/schema';
import type { AlarmState, AlarmTrigger, ManualTrigger } from '../events/trigger-event';
import { SCHEDULED_ACTIONS } from '../shared-names';

// `status` is the status function's: answering it here would bundle every reader it uses (EC2,
// Auto Scaling, EKS, Secrets Manager) into this function and grant it their reads.
export const DNS_ACTIONS = [
  'failover',
  'failback',
  'verify',
  SCHEDULED_ACTIONS.dnsReconcile,
] as const;
export type DnsAction = (typeof DNS_ACTIONS)[number];

export interface DnsActionRequest {
  action: DnsAction;
  reason: string;
}

export interface DnsIgnore {
  ignore: string;
  /** A person should hear about it (the handler notifies, not only logs). */
  notify: boolean;
}

export type DnsTriggerOutcome = DnsActionRequest | DnsIgnore;

type DnsConfig = Pick<DrpilotConfig, 'clusters'> & {
  dns: Pick<DrpilotConfig['dns'], 'autoFailback'>;
};

export function actionForTrigger(
  trigger: AlarmTrigger | ManualTrigger,
  config: DnsConfig,
): DnsTriggerOutcome {
  if (trigger.kind === 'manual') return manualAction(trigger);
  const { primary, dr } = config.clusters;
  const said = trigger.reason ? `: ${trigger.reason}` : '';
  if (trigger.alarmName === primary.healthAlarm) {
    const alarm = `primary health alarm ${primary.healthAlarm}`;
    switch (trigger.state) {
      case 'ALARM':
        return { action: 'failover', reason: `${alarm} went to ALARM${said}` };
      case 'OK':
        return config.dns.autoFailback
          ? { action: 'failback', reason: `${alarm} went to OK and dns.autoFailback is on${said}` }
          : {
              ignore: `${alarm} went to OK; dns.autoFailback is off, so a person decides: run drpilot failback when ready`,
              notify: true,
            };
      case 'INSUFFICIENT_DATA':
        return {
          ignore: `${alarm} went to INSUFFICIENT_DATA: neither a failure nor a recovery`,
          notify: false,
        };
    }
  }
  if (trigger.alarmName === dr.healthAlarm) {
    const alarm = `dr health alarm ${dr.healthAlarm}`;
    switch (trigger.state) {
      case 'ALARM':
        return {
          ignore: `${alarm} went to ALARM${said}: dr cannot take a failover, and if dr is serving, the service is down`,
          notify: true,
        };
      case 'OK':
        return { ignore: `${alarm} went to OK: dr can take a failover again`, notify: false };
      case 'INSUFFICIENT_DATA':
        return {
          ignore: `${alarm} went to INSUFFICIENT_DATA: neither a failure nor a recovery`,
          notify: false,
        };
    }
  }
  return {
    ignore: `alarm ${trigger.alarmName} is neither cluster's health alarm (${primary.healthAlarm}, ${dr.healthAlarm})`,
    notify: false,
  };
}

function manualAction(trigger: ManualTrigger): DnsTriggerOutcome {
  const action = (DNS_ACTIONS as readonly string[]).includes(trigger.action)
    ? (trigger.action as DnsAction)
    : null;
  if (!action) {
    return { ignore: `manual action ${trigger.action} is not a DNS action`, notify: false };
  }
  return { action, reason: trigger.reason ?? `manual ${action}` };
}

export interface ReconcileInput {
  primaryAlarm: AlarmState | 'MISSING';
  drAlarm: AlarmState | 'MISSING';
  /** The side the record points at; null when it is missing or points elsewhere. */
  activeSide: Side | null;
  autoFailback: boolean;
}

/** The every-minute re-plan: the action a standing alarm state still asks for, if any. */
export function reconcileAction(input: ReconcileInput):
  | {
      action: 'failover' | 'failback';
      reason: string;
    }
  | DnsIgnore {
  const { primaryAlarm, drAlarm, activeSide, autoFailback } = input;
  if (activeSide === null) {
    return {
      ignore: 'the record is missing or points at neither endpoint: nothing to re-plan',
      notify: true,
    };
  }
  if (activeSide === 'primary') {
    if (primaryAlarm === 'ALARM') {
      return {
        action: 'failover',
        reason: 'the primary health alarm is still ALARM and the record still points at primary',
      };
    }
    return { ignore: `primary is serving and its health alarm is ${primaryAlarm}`, notify: false };
  }
  if (primaryAlarm === 'OK' && autoFailback) {
    return {
      action: 'failback',
      reason:
        'the primary health alarm is OK, dns.autoFailback is on and the record still points at dr',
    };
  }
  if (drAlarm === 'ALARM') {
    return { ignore: 'dr is serving and its health alarm is ALARM', notify: true };
  }
  return {
    ignore:
      primaryAlarm === 'OK'
        ? 'dr is serving and primary is healthy; dns.autoFailback is off, so a person decides'
        : `dr is serving; the primary health alarm is ${primaryAlarm}`,
    notify: false,
  };
}
