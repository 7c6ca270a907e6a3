import {
  HEALTH_ALARM,
  HEALTH_CHECK_FAILURE_THRESHOLD,
  type HealthCheckInterval,
} from './health-check-timing';

/**
 * The recovery time the deployed settings give when the primary goes down: how long until
 * clients resolving the main name reach DR. Each term is the worst case of one stage, taken from
 * the config, the CDK's settings or AWS's documentation, and named with its source. Pure.
 */
export const RTO_TARGET_SECONDS = 120;

/**
 * Route 53: "Changes generally propagate to all Route 53 name servers within 60 seconds"
 * (Developer Guide, "Editing records"); GetChange turns INSYNC then. moto answers INSYNC at once,
 * so no emulated run can measure this term.
 */
export const ROUTE53_PROPAGATION_SECONDS = 60;

/** The decision's own time when nothing measured it: the DNS handler's checks and change call. */
export const ASSUMED_DECISION_SECONDS = 5;

export interface RtoTerm {
  stage: 'detect' | 'alarm' | 'decide' | 'propagate' | 'caches';
  seconds: number;
  /** How the figure comes about, with the setting that drives it. */
  detail: string;
}

export interface DesignedRto {
  totalSeconds: number;
  terms: RtoTerm[];
  targetSeconds: number;
  met: boolean;
  /** Settings that would shorten it, with what each buys and costs; empty when none is left. */
  levers: string[];
}

export interface RtoSettings {
  healthCheckIntervalSeconds: HealthCheckInterval;
  ttl: number;
}

export interface DecisionTime {
  seconds: number;
  /** e.g. "measured: median of 30 emulated failovers" or "assumed". */
  basis: string;
}

export function designedRto(
  settings: RtoSettings,
  decision: DecisionTime = { seconds: ASSUMED_DECISION_SECONDS, basis: 'assumed' },
): DesignedRto {
  const detect = settings.healthCheckIntervalSeconds * HEALTH_CHECK_FAILURE_THRESHOLD;
  const alarm = HEALTH_ALARM.periodSeconds * HEALTH_ALARM.evaluationPeriods;
  const terms: RtoTerm[] = [
    {
      stage: 'detect',
      seconds: detect,
      detail: `Route 53 health check: ${HEALTH_CHECK_FAILURE_THRESHOLD} failed requests, one every ${settings.healthCheckIntervalSeconds} s (dns.healthCheckIntervalSeconds)`,
    },
    {
      stage: 'alarm',
      seconds: alarm,
      detail: `health alarm: HealthCheckStatus Minimum over ${HEALTH_ALARM.evaluationPeriods} period of ${HEALTH_ALARM.periodSeconds} s (Route 53 publishes the metric per minute)`,
    },
    {
      stage: 'decide',
      seconds: decision.seconds,
      detail: `drpilot's checks (lease, alarms re-read, TLS, backup, cooldown) and the change batch (${decision.basis})`,
    },
    {
      stage: 'propagate',
      seconds: ROUTE53_PROPAGATION_SECONDS,
      detail:
        'Route 53 to INSYNC: "generally within 60 seconds" (Route 53 Developer Guide, Editing records)',
    },
    {
      stage: 'caches',
      seconds: settings.ttl,
      detail: `resolvers keep the old answer up to the record TTL (dns.ttl ${settings.ttl} s)`,
    },
  ];
  const totalSeconds = Math.round(terms.reduce((sum, t) => sum + t.seconds, 0));
  const levers: string[] = [];
  if (settings.healthCheckIntervalSeconds === 30) {
    levers.push(
      `dns.healthCheckIntervalSeconds 10: ${(30 - 10) * HEALTH_CHECK_FAILURE_THRESHOLD} s sooner, for the fast-interval charge on both health checks (npm run cost)`,
    );
  }
  if (settings.ttl > 30) {
    levers.push(
      `dns.ttl 30: ${settings.ttl - 30} s sooner, for more queries reaching Route 53 (billed per million)`,
    );
  }
  return {
    totalSeconds,
    terms,
    targetSeconds: RTO_TARGET_SECONDS,
    met: totalSeconds <= RTO_TARGET_SECONDS,
    levers,
  };
}

/**
 * Why the target is out of reach even with every lever pulled: the alarm period and Route 53's
 * propagation alone take two minutes. Printed with a MISS.
 */
export function rtoFloorReason(rto: DesignedRto): string | null {
  if (rto.met) return null;
  const floor = rto.terms
    .filter((t) => t.stage === 'alarm' || t.stage === 'propagate')
    .reduce((sum, t) => sum + t.seconds, 0);
  return `${rto.totalSeconds} s > ${rto.targetSeconds} s: the one-minute health alarm and Route 53's 60 s propagation alone take ${floor} s, whatever the settings; ${rto.levers.length ? `what is left to buy: ${rto.levers.join('; ')}` : 'every setting is already at its fastest'}. A mode with failover routing records behind the health checks (DESIGN.md, "a later mode") removes the alarm term.`;
}
