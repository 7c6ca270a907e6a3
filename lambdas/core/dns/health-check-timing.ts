/**
 * How fast a Route 53 health check notices an endpoint going down, for `status`, the README and
 * the CDK. Route 53 declares an endpoint unhealthy after `failureThreshold` consecutive failed
 * requests, one every `intervalSeconds` (10 s "fast" or 30 s "standard"); the health alarm then
 * sees HealthCheckStatus < 1 in its next one-minute period. Pure.
 */
export const HEALTH_CHECK_FAILURE_THRESHOLD = 3;

export type HealthCheckInterval = 10 | 30;

/**
 * The health alarm on `AWS/Route53 HealthCheckStatus` (lib/dns.ts): Route 53 publishes the metric
 * once a minute, and the health check's own failure threshold already debounces, so one period.
 */
export const HEALTH_ALARM = { periodSeconds: 60, evaluationPeriods: 1 } as const;

export interface HealthCheckTiming {
  intervalSeconds: HealthCheckInterval;
  failureThreshold: number;
  /** Requests × interval until Route 53 calls the endpoint unhealthy. */
  secondsToUnhealthy: number;
  /** What the other interval would change (negative: sooner), or null at the fastest. */
  faster: { intervalSeconds: 10; secondsToUnhealthy: number; secondsSooner: number } | null;
}

export function healthCheckTiming(intervalSeconds: HealthCheckInterval): HealthCheckTiming {
  const secondsToUnhealthy = intervalSeconds * HEALTH_CHECK_FAILURE_THRESHOLD;
  const fast = 10 * HEALTH_CHECK_FAILURE_THRESHOLD;
  return {
    intervalSeconds,
    failureThreshold: HEALTH_CHECK_FAILURE_THRESHOLD,
    secondsToUnhealthy,
    faster:
      intervalSeconds === 10
        ? null
        : {
            intervalSeconds: 10,
            secondsToUnhealthy: fast,
            secondsSooner: secondsToUnhealthy - fast,
          },
  };
}
