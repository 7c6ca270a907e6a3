import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { publishAksProblems } from '../adapters/aws/aks-metrics';
import { StateStore } from '../adapters/aws/state-store';
import { AKS_ACTIONS, aksKeys } from '../core/aks/names';
import type { DrpilotConfig } from '../core/config/schema';
import { AksSender, type FlushReport } from './outbox-sender';
import { activeSide, checkResolverIps, type ResolverCheckResult } from './resolver-check';

export interface AksRunOptions {
  now: () => Date;
  /** The clock of signatures; the wall clock by default (see SenderOptions). */
  signAt?: () => number;
  onProgress?: (message: string) => void;
}

export type AksActionResult =
  | ({
      action: 'flush';
      problems: { unauthorized: boolean; noAttachedResolverIps: boolean };
    } & FlushReport)
  | ({ action: 'resolver-ips' } & ResolverCheckResult)
  | { action: 'ping'; status: number | null; latencyMs: number; detail: string; seq: number };

/** One action of the AKS function; the CLI calls this too (`--via local`). */
export async function runAksAction(
  config: DrpilotConfig,
  action: string,
  options: AksRunOptions,
): Promise<AksActionResult> {
  const sender = new AksSender(config, options);
  switch (action) {
    case AKS_ACTIONS.flush: {
      const report = await sender.flush();
      return {
        action: 'flush',
        ...report,
        problems: await publishProblems(config, sender, options),
      };
    }
    case AKS_ACTIONS.resolverIps: {
      const side = await activeSide(config);
      if (!side) {
        return {
          action: 'resolver-ips',
          side: null,
          resolverEndpointId: null,
          decision: 'no-active-side',
          reason: `${config.dns.recordName} points at neither endpoint: no active side to report`,
          ips: [],
          seq: null,
          delivered: false,
        };
      }
      const checked = await checkResolverIps(config, sender, side, {
        afterSwitch: false,
        now: options.now,
      });
      await publishProblems(config, sender, options);
      return { action: 'resolver-ips', ...checked };
    }
    case AKS_ACTIONS.ping: {
      const answer = await sender.ping();
      return {
        action: 'ping',
        status: answer.status,
        latencyMs: answer.latencyMs,
        detail: answer.detail,
        seq: answer.event.seq,
      };
    }
    default:
      throw new Error(`unknown AKS action ${action}`);
  }
}

/**
 * Publishes each problem's metric from the stored state (1 while it stands, 0 once it cleared):
 * the alarms watch these, whichever function met the 401 or the refusal.
 */
async function publishProblems(
  config: DrpilotConfig,
  sender: AksSender,
  options: AksRunOptions,
): Promise<{ unauthorized: boolean; noAttachedResolverIps: boolean }> {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const [hold, refusal] = await Promise.all([
    sender.store.readHold(),
    store.readValue(aksKeys.resolverRefusal),
  ]);
  const problems = { unauthorized: hold !== null, 'no-attached-resolver-ips': refusal !== null };
  await publishAksProblems(cloudWatchClient(config.controlRegion), problems, options.now());
  return {
    unauthorized: problems.unauthorized,
    noAttachedResolverIps: problems['no-attached-resolver-ips'],
  };
}
