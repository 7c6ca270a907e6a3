import { route53Client } from '../../lambdas/adapters/aws/sdk-clients/route53';
import { readRecord } from '../../lambdas/adapters/aws/route53-records';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { sameDnsName } from '../../lambdas/core/dns/dns-names';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { runSwitch, type SwitchResult } from '../../lambdas/dns/run-switch';
import { dnsResolver, type Resolver } from '../../lambdas/adapters/tls/tls-probe';
import { setHealthAlarm } from '../embedded/seed-alarms';
import { writeBackup } from '../embedded/seed-backups';
import type { StepRecorder } from './step-recorder';
import { serveClusterEndpoints } from '../embedded/tls/cluster-endpoints';
import { createDrillCa } from '../embedded/tls/drill-certificates';

export interface DnsDrillOptions {
  embedded: boolean;
  /** Flip the customer-facing record instead of dns.drillRecordName. */
  live: boolean;
  withFailback: boolean;
  /**
   * Runs after each switch is verified (embedded: the AKS side's step, which follows the switch
   * down to a DNS answer) and before the next one.
   */
  afterSwitch?: (side: Side) => Promise<void>;
  /** Against an estate: where the TLS checks connect for an endpoint name (`--connect-to`). */
  resolver?: Resolver;
}

/** The emulated endpoints: both clusters' ingress as local TLS servers with drill certificates. */
export interface DrillEndpoints {
  config: DrpilotConfig;
  resolver: Resolver;
  close(): Promise<void>;
}

export async function serveEndpoints(config: DrpilotConfig): Promise<DrillEndpoints> {
  const ca = await createDrillCa({ commonName: 'drpilot drill CA' });
  const served = await serveClusterEndpoints(config, ca);
  return {
    config: {
      ...config,
      dns: { ...config.dns, checks: { ...config.dns.checks, caBundle: ca.certPem } },
    },
    resolver: served.resolver,
    close: served.close,
  };
}

/** Runs the DNS function's own handler in this process, with the drill's config and endpoints. */
async function viaHandler(
  config: DrpilotConfig,
  resolver: Resolver,
  payload: object,
): Promise<SwitchResult> {
  const saved = process.env.DRPILOT_CONFIG_JSON;
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  try {
    return (await createDnsHandler({ resolver, insyncPollMs: 200 })(payload, {
      awsRequestId: 'drill',
    } as never)) as SwitchResult;
  } finally {
    if (saved === undefined) delete process.env.DRPILOT_CONFIG_JSON;
    else process.env.DRPILOT_CONFIG_JSON = saved;
  }
}

function expectSwitched(result: SwitchResult): string {
  if (result.outcome !== 'switched') throw new Error(`${result.outcome}: ${result.reason}`);
  const checks = result.checks
    .map((c) => `${c.name} ${c.skipped ? 'skipped' : c.ok ? 'ok' : 'FAILED'}`)
    .join(', ');
  const insync =
    result.secondsToInsync === null
      ? 'INSYNC unconfirmed'
      : `INSYNC in ${result.secondsToInsync.toFixed(1)} s`;
  return `${result.reason}; change ${result.changeId}, ${insync}; checks: ${checks}`;
}

async function pointsAt(config: DrpilotConfig, name: string, side: Side): Promise<string> {
  const record = await readRecord(route53Client(), config.dns.hostedZoneId, name, 'CNAME');
  const target = record?.values[0] ?? 'nothing';
  if (!sameDnsName(target, config.clusters[side].endpoint)) {
    throw new Error(`${name} points at ${target}, expected ${config.clusters[side].endpoint}`);
  }
  return `${name} → ${target} (TTL ${record?.ttl})`;
}

/**
 * DNS failover (and failback) drill. Embedded: both endpoints served locally with drill
 * certificates, the primary's health alarm set to ALARM, the DNS handler run, the record
 * verified, then the primary recovers, takes a new backup, and the record fails back after the
 * cooldown. Against a real estate the alarms are never touched (the deployed function would
 * react to them): the same switch runs with the real checks. Returns the RTO it measured.
 */
export async function runDnsSteps(
  steps: StepRecorder,
  initial: DrpilotConfig,
  options: DnsDrillOptions,
): Promise<number | null> {
  const recordName = options.live ? initial.dns.recordName : initial.dns.drillRecordName;
  let endpoints: DrillEndpoints | undefined;
  let rto: number | null = null;
  try {
    let config = initial;
    let resolver: Resolver = options.resolver ?? dnsResolver;
    if (options.embedded) {
      await steps.run('serve both endpoints over TLS with drill certificates', async () => {
        endpoints = await serveEndpoints(initial);
        config = endpoints.config;
        resolver = endpoints.resolver;
        return `${initial.clusters.primary.endpoint} and ${initial.clusters.dr.endpoint} on 127.0.0.1, certificates from a drill CA covering ${initial.dns.recordName}`;
      });
    }

    const outage = options.embedded ? await primaryFailsStep(steps, config) : 0;

    let failedOverAt = 0;
    await steps.run(`failover: ${recordName} → dr`, async () => {
      const payload = {
        action: 'failover',
        reason: 'drill: primary unhealthy',
        drill: !options.live,
      };
      const result = options.embedded
        ? await viaHandler(config, resolver, payload)
        : await runSwitch(config, {
            action: 'failover',
            reason: payload.reason,
            trigger: 'drill',
            origin: { kind: 'manual' },
            force: false,
            dryRun: false,
            drill: !options.live,
            resolver,
          });
      failedOverAt = Date.now();
      if (outage) rto = (failedOverAt - outage) / 1000;
      return expectSwitched(result);
    });

    await verifyServesStep(steps, config, { live: options.live, side: 'dr' });
    if (steps.ok) await options.afterSwitch?.('dr');

    if (!options.withFailback) return rto;

    if (options.embedded) await primaryRecoversStep(steps, config, failedOverAt);
    await cooldownRefusalStep(steps, config, { live: options.live, resolver });

    await steps.run(`failback: ${recordName} → primary`, async () => {
      // Embedded, the clock is moved past the cooldown so every real check decides; against a
      // real estate nobody waits 15 minutes in a drill, so the failback is forced (and audited).
      const afterCooldown = () => new Date(Date.now() + (config.dns.cooldownSeconds + 1) * 1000);
      const result = await runSwitch(config, {
        action: 'failback',
        reason: 'drill: primary healthy again',
        trigger: 'drill',
        origin: { kind: 'manual' },
        force: !options.embedded,
        dryRun: false,
        drill: !options.live,
        resolver,
        insyncPollMs: 200,
        ...(options.embedded ? { now: afterCooldown } : {}),
      });
      return `${expectSwitched(result)}${options.embedded ? ' (clock moved past the cooldown)' : ' (forced past the cooldown)'}`;
    });

    await verifyServesStep(steps, config, { live: options.live, side: 'primary' });
    if (steps.ok) await options.afterSwitch?.('primary');
    return rto;
  } finally {
    await endpoints?.close();
  }
}

/** Embedded: the primary's health alarm goes to ALARM (the outage). Returns when, in ms. */
export async function primaryFailsStep(
  steps: StepRecorder,
  config: DrpilotConfig,
): Promise<number> {
  let outage = 0;
  await steps.run('primary fails: its health alarm goes to ALARM', async () => {
    outage = Date.now();
    await setHealthAlarm(config, 'primary', 'ALARM', 'drill: primary endpoint down');
    return `${config.clusters.primary.healthAlarm} → ALARM`;
  });
  return outage;
}

/** Embedded: the primary's alarm back to OK, and a backup completed after the failover (ms). */
export async function primaryRecoversStep(
  steps: StepRecorder,
  config: DrpilotConfig,
  failedOverAt: number,
): Promise<void> {
  await steps.run('primary recovers and takes a new backup', async () => {
    await setHealthAlarm(config, 'primary', 'OK', 'drill: primary endpoint back');
    const completed = new Date(Math.max(Date.now(), failedOverAt) + 1000);
    const backup = { name: `drill-after-failover-${completed.getTime()}` };
    await writeBackup(config, 'primary', backup.name, completed);
    return `${config.clusters.primary.healthAlarm} → OK; backup ${backup.name} completed after the failover`;
  });
}

/** Right after a failover: an unforced failback is refused by the cooldown check. */
export async function cooldownRefusalStep(
  steps: StepRecorder,
  config: DrpilotConfig,
  options: { live: boolean; resolver: Resolver },
): Promise<void> {
  await steps.run('failback during the cooldown is refused (anti-flapping)', async () => {
    const result = await runSwitch(config, {
      action: 'failback',
      reason: 'drill: too early',
      trigger: 'drill',
      origin: { kind: 'manual' },
      force: false,
      dryRun: false,
      drill: !options.live,
      resolver: options.resolver,
    });
    const cooldown = result.checks.find((c) => c.name === 'cooldown');
    if (result.outcome !== 'refused' || cooldown?.ok !== false)
      throw new Error(
        `expected a refusal by the cooldown, got ${result.outcome}: ${result.reason}`,
      );
    return result.reason;
  });
}

/**
 * The switched record (the drill record, or the main one when `live`) points at `side` as Route 53
 * holds it; after a drill's switch to dr, the main record is checked untouched on primary.
 */
export async function verifyServesStep(
  steps: StepRecorder,
  config: DrpilotConfig,
  options: { live: boolean; side: Side },
): Promise<void> {
  const recordName = options.live ? config.dns.recordName : config.dns.drillRecordName;
  const name =
    options.side === 'dr'
      ? 'verify: the record serves from dr'
      : 'verify: the record serves from primary again';
  await steps.run(name, async () => {
    const flipped = await pointsAt(config, recordName, options.side);
    const untouched =
      options.live || options.side === 'primary'
        ? ''
        : `; ${await pointsAt(config, config.dns.recordName, 'primary')} untouched`;
    return `${flipped}${untouched}`;
  });
}
