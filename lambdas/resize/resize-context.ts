import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { notify } from '../adapters/aws/notify';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../core/config/schema';
import { NOTIFICATION_TOPIC_ENV, notificationTopicName } from '../core/shared-names';
import type { ResizeResult } from './rollout-state';

/** Renewed at every step; long enough for the slowest step (one node, or one poll). */
export const LEASE_SECONDS = 1800;

export interface ResizeContext {
  config: DrpilotConfig;
  group: NodeGroupConfig;
  region: string;
  store: StateStore;
  /** Audits a result and notifies people unless nothing happened; returns the result. */
  record(result: ResizeResult, trigger: string): Promise<ResizeResult>;
  /**
   * For a node left down or a rollout cut short: a person must act now. The subject names why:
   * `NODE DOWN` by default, `RESIZE HELD` for a rollout a pause held at a node boundary.
   */
  page(message: string, headline?: PageHeadline): Promise<void>;
}

export type PageHeadline = 'NODE DOWN' | 'RESIZE HELD';

export function resizeContext(
  config: DrpilotConfig,
  group: NodeGroupConfig,
  now: () => Date = () => new Date(),
): ResizeContext {
  const store = new StateStore(
    dynamoDbDocumentClient(config.controlRegion),
    config.stateTable,
    () => now().getTime(),
  );
  const topic = process.env[NOTIFICATION_TOPIC_ENV] ?? notificationTopicName(config);
  const sns = snsClient(config.controlRegion);
  return {
    config,
    group,
    region: config.clusters[group.cluster as Side].region,
    store,
    async record(result, trigger) {
      const entry = { trigger, ...result, plan: undefined };
      await store.appendAudit('resize', entry);
      if (result.outcome !== 'noop') {
        await notify(
          sns,
          topic,
          `drpilot ${config.name}: resize ${group.id} ${result.outcome}`,
          entry,
        );
      }
      return result;
    },
    async page(message, headline = 'NODE DOWN') {
      await notify(sns, topic, `drpilot ${config.name}: ${headline}`, { message });
    },
  };
}
