import { dynamoDbDocumentClient } from '../../lambdas/adapters/aws/sdk-clients/dynamodb';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { readStatus } from '../../lambdas/status/read-status';
import type { StepRecorder } from './step-recorder';

const DRILL_LEASE_SECONDS = 60;
const CONCURRENT_CLAIMS = 5;

/**
 * The steps every drill shares today: the estate reads as expected, and the state store's lease
 * admits exactly one of several concurrent claims (what keeps duplicate alarms from acting twice).
 */
export async function runFoundationSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  drillId: string,
): Promise<void> {
  await steps.run('read status: main record, health alarms, node groups', async () => {
    const status = await readStatus(config);
    const problems = [
      status.dns.activeSide === null && `${config.dns.recordName} points at neither cluster`,
      ...(['primary', 'dr'] as const).map(
        (side) =>
          status.clusters[side].healthy !== true &&
          `${side} is not healthy (${status.clusters[side].alarmState})`,
      ),
      ...status.warnings,
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const nodes = status.nodeGroups
      .map((g) => `${g.id}: ${g.instances?.length ?? 0} × ${g.instanceTypes?.join('/') ?? '?'}`)
      .join(', ');
    return `active side ${status.dns.activeSide} via ${status.dns.target}; both clusters healthy; ${nodes}`;
  });

  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  await steps.run(`lease: exactly one of ${CONCURRENT_CLAIMS} concurrent claims wins`, async () => {
    const claims = await Promise.all(
      Array.from({ length: CONCURRENT_CLAIMS }, (_, i) =>
        store.acquireLease(`drill#${drillId}`, `claimant-${i}`, DRILL_LEASE_SECONDS),
      ),
    );
    const winners = claims.filter((c) => c.acquired);
    if (winners.length !== 1) throw new Error(`${winners.length} claims won the lease`);
    const [winner] = winners;
    if (winner?.acquired) await store.releaseLease(winner.lease);
    return `${winner?.acquired ? winner.lease.holder : '?'} won, ${CONCURRENT_CLAIMS - 1} refused, lease released`;
  });

  await steps.run('audit: the drill is on record', async () => {
    const entry = await store.appendAudit('drill', {
      drillId,
      trigger: 'drill',
      decision: 'record',
    });
    const [latest] = await store.recentAudit('drill', 1);
    if (latest?.id !== entry.id) throw new Error('the audit entry just written is not the newest');
    return `audit entry ${entry.id} at ${entry.at}`;
  });
}
