import { failoverData } from '../core/aks/events';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { AksSender } from './outbox-sender';
import { checkResolverIps } from './resolver-check';

export interface SwitchAnnouncement {
  recordName: string;
  to: Side;
  changeId: string;
}

/**
 * After a switch of the main or the drill record: `dns.failover` (with that recordName: the AKS
 * side moves its active region only for the main record, and records a drill otherwise), then the
 * new side's `resolver.ips`. Never throws: the record has moved whatever happens here, and what
 * was not delivered stays in the outbox for the every-minute run. Returns warnings.
 */
export async function announceSwitch(
  config: DrpilotConfig,
  change: SwitchAnnouncement,
  now: () => Date,
): Promise<string[]> {
  if (!config.azure) return [];
  const warnings: string[] = [];
  const describe = (error: unknown) =>
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  let sender: AksSender;
  try {
    sender = new AksSender(config, { now });
    const sent = await sender.send(
      'dns.failover',
      failoverData(config, change.recordName, change.to, change.changeId),
    );
    if (sent.pending) {
      warnings.push(
        `dns.failover #${sent.event.seq} is pending in the outbox (${sent.attempts.at(-1)?.detail ?? 'not sent yet'}); retried every minute`,
      );
    }
  } catch (error) {
    return [`the AKS side was not told of the switch: ${describe(error)}`];
  }
  try {
    const resolver = await checkResolverIps(config, sender, change.to, {
      afterSwitch: true,
      now,
    });
    if (resolver.decision === 'refused') warnings.push(resolver.reason);
    else if (!resolver.delivered) {
      warnings.push(`resolver.ips #${resolver.seq} is pending in the outbox; retried every minute`);
    }
  } catch (error) {
    warnings.push(`the new side's resolver addresses were not sent: ${describe(error)}`);
  }
  return warnings;
}
