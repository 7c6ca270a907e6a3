import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { seedEstate } from '../cli/embedded/estate';
import { startEmulatedAws } from '../cli/emulator/emulated-aws';
import {
  serveClusterEndpoints,
  type ClusterEndpoints,
} from '../cli/embedded/tls/cluster-endpoints';
import { createDrillCa } from '../cli/embedded/tls/drill-certificates';
import { dynamoDbDocumentClient, route53Client } from '../lambdas/adapters/aws/clients';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { validateConfig } from '../lambdas/core/config/validate';
import { stateKeys } from '../lambdas/core/state-keys';
import { createDnsHandler } from '../lambdas/dns/handler';
import type { SwitchResult } from '../lambdas/dns/run-switch';
import { runResync } from '../lambdas/resync/run-resync';
import { median } from './lambda-bundles';
import { readFileSync } from 'node:fs';
import { upsertRecord } from '../cli/embedded/seed-dns';

export interface DnsBenchResult {
  runs: number;
  handlerMsMedian: number;
  bareChangeMsMedian: number;
  /** A secondary figure with no target: no user's alternative is a bare call (the runbook is). */
  ratio: number;
  emulated: true;
}

const upsert = (config: DrpilotConfig, name: string, value: string, ttl: number) =>
  upsertRecord(route53Client(), config.dns.hostedZoneId, { name, type: 'CNAME', ttl, value });

/**
 * The cost of safety: the DNS handler's end-to-end failover (lease, every check including a real
 * TLS handshake and the backup listing, the compare-and-swap change, INSYNC, cooldown, audit,
 * notification) against one bare ChangeResourceRecordSets call, both on the same moto.
 */
export async function measureDnsSwitch(
  runs: number,
  log: (m: string) => void,
): Promise<DnsBenchResult> {
  const aws = await startEmulatedAws();
  const ca = await createDrillCa();
  let served: ClusterEndpoints | undefined;
  try {
    const parsed = validateConfig(
      JSON.parse(readFileSync(new URL('../drpilot.config.example.json', import.meta.url), 'utf8')),
    );
    if (!parsed.ok) throw new Error('the example config is invalid');
    const estate = await seedEstate(parsed.config);
    served = await serveClusterEndpoints(estate.config, ca);
    const base: DrpilotConfig = {
      ...estate.config,
      dns: { ...estate.config.dns, checks: { ...estate.config.dns.checks, caBundle: ca.certPem } },
    };
    await runResync(base, { dryRun: false, trigger: 'bench' });
    const documents = dynamoDbDocumentClient(base.controlRegion);
    const drill = base.dns.drillRecordName;
    log(`dns bench: ${runs} failovers through the handler, ${runs} bare changes`);

    const handlerMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Untimed reset. Each run uses its own TTL: moto rejects a CREATE identical to one in its
      // change journal (Route 53 does not), and the switch's CREATE carries the config's TTL.
      const config: DrpilotConfig = { ...base, dns: { ...base.dns, ttl: 30 + i } };
      await upsert(config, drill, config.clusters.primary.endpoint, 30 + i);
      await documents.send(
        new DeleteCommand({
          TableName: config.stateTable,
          Key: { pk: `cooldown#${stateKeys.dnsRecord(drill)}`, sk: 'cooldown' },
        }),
      );
      process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
      const handler = createDnsHandler({ resolver: served.resolver, insyncPollMs: 0 });

      let started = performance.now();
      const result = (await handler({ action: 'failover', drill: true, reason: 'bench' }, {
        awsRequestId: `bench-${i}`,
      } as never)) as SwitchResult;
      handlerMs.push(performance.now() - started);
      if (result.outcome !== 'switched')
        throw new Error(`run ${i}: ${result.outcome}: ${result.reason}`);

      started = performance.now();
      await upsert(config, `bare-${i}.example.com`, 'primary.example.com', 30);
      bareMs.push(performance.now() - started);
    }
    const handlerMsMedian = median(handlerMs);
    const bareChangeMsMedian = median(bareMs);
    const ratio = handlerMsMedian / bareChangeMsMedian;
    return {
      runs,
      handlerMsMedian,
      bareChangeMsMedian,
      ratio,
      emulated: true,
    };
  } finally {
    delete process.env.DRPILOT_CONFIG_JSON;
    await served?.close();
    await aws.close();
  }
}
