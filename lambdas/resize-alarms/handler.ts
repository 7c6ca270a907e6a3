import { z } from 'zod';
import {
  describeReceived,
  parseTriggerEvent,
  quote,
  TriggerEventError,
} from '../core/events/trigger-event';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/runtime-config';
import { reconcileMemberAlarms } from './reconcile-member-alarms';

/** The manual action, and the payload the schedule sends: `{ "action": "reconcile-alarms" }`. */
export const RECONCILE_ALARMS_ACTION = 'reconcile-alarms';

const EC2_SOURCE = 'aws.ec2';
const EC2_STATE_CHANGE = 'EC2 Instance State-change Notification';
const EXPECTED =
  `expected an EventBridge "${EC2_STATE_CHANGE}" (source "${EC2_SOURCE}") or ` +
  `{ "action": "${RECONCILE_ALARMS_ACTION}" } (the schedule, or a person)`;

const stateChangeSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'expected an AWS region' }),
  detail: z.object({
    'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/, { error: 'expected an instance id' }),
    state: z.string().min(1).max(32),
  }),
});

export class MemberAlarmsFailedError extends Error {
  override readonly name = 'MemberAlarmsFailedError';
}

type Trigger = { description: string; dryRun: boolean; region?: string };

function parseTrigger(event: unknown): Trigger {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new TriggerEventError(`${EXPECTED}; got ${describeReceived(event)}`, 'unknown');
  }
  const raw = event as Record<string, unknown>;
  if ('detail-type' in raw || 'source' in raw) {
    if (raw['source'] !== EC2_SOURCE || raw['detail-type'] !== EC2_STATE_CHANGE) {
      throw new TriggerEventError(
        `unsupported EventBridge event: ${EXPECTED}; got source ${quote(raw['source'])} ` +
          `and detail-type ${quote(raw['detail-type'])}`,
        'eventbridge',
      );
    }
    const parsed = stateChangeSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      }));
      const listed = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      throw new TriggerEventError(
        `malformed "${EC2_STATE_CHANGE}": ${listed}`,
        'eventbridge',
        issues,
      );
    }
    const { detail, region } = parsed.data;
    return {
      description: `${detail['instance-id']} ${detail.state} (${region})`,
      dryRun: false,
      region,
    };
  }
  if (!('action' in raw))
    throw new TriggerEventError(`${EXPECTED}; got ${describeReceived(event)}`, 'unknown');
  const trigger = parseTriggerEvent(raw, { allowedActions: [RECONCILE_ALARMS_ACTION] });
  if (trigger.kind !== 'manual') {
    throw new TriggerEventError(
      `${EXPECTED}; got a CloudWatch alarm (${trigger.source})`,
      trigger.source,
    );
  }
  return { description: `manual: ${trigger.reason ?? 'no reason given'}`, dryRun: trigger.dryRun };
}

/**
 * Keeps one up/down alarm pair per member of each node group in this function's region (its
 * AWS_REGION), on a schedule and on EC2 instance state changes. A state change re-reads every
 * group: the event does not say which group the instance was in. A group whose members could not
 * be read makes the run throw once the others are done, so it is retried and finally lands in the
 * failure queue.
 */
export const handler = withObservability(
  'resize-alarms',
  async (event: unknown, _context, { logger }) => {
    const trigger = parseTrigger(event);
    const region = process.env.AWS_REGION;
    if (!region) throw new Error('AWS_REGION is not set: Lambda sets it; set it to run locally');
    if (trigger.region !== undefined && trigger.region !== region) {
      throw new TriggerEventError(
        `"${EC2_STATE_CHANGE}" from ${trigger.region}: this function serves ${region}`,
        'eventbridge',
        [{ path: 'region', message: `expected ${region}` }],
      );
    }
    const report = await reconcileMemberAlarms(runtimeConfig(), {
      region,
      dryRun: trigger.dryRun,
      onProgress: (message) => logger.info(message),
    });
    logger.info('member alarms reconciled', {
      trigger: trigger.description,
      region,
      dryRun: report.dryRun,
      groups: report.groups.map((g) => ({
        id: g.id,
        members: g.members.length,
        put: g.put.length,
        deleted: g.deleted.length,
        unchanged: g.unchanged,
        deferred: g.deferred.length,
        skipped: g.skipped.length,
        error: g.error,
      })),
      orphansDeleted: report.orphansDeleted.length,
    });
    const failed = report.groups.filter((g) => g.error !== null);
    if (failed.length > 0) {
      throw new MemberAlarmsFailedError(
        `could not read the members of ${failed.map((g) => `${g.id} (${g.error})`).join('; ')}`,
      );
    }
    return report;
  },
);
