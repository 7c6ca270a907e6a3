import { ApprovalStore, type NewRequest } from '../adapters/aws/approval-store';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { notify } from '../adapters/aws/notify';
import { StateStore } from '../adapters/aws/state-store';
import {
  approveCommand,
  rejectCommand,
  type ApprovalRequest,
} from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import { NOTIFICATION_TOPIC_ENV, notificationTopicName } from '../core/shared-names';

export interface RequestedApproval {
  /** False when the subject already had a pending request (returned instead). */
  created: boolean;
  request: ApprovalRequest;
  /** Why the notification did not go out, when it did not. */
  warning: string | null;
  /** One line for results and logs: what waits, and the command that approves it. */
  reason: string;
}

export function awaitingReason(request: ApprovalRequest): string {
  return `${request.action} ${request.target} awaits approval until ${request.expiresAt}: ${approveCommand(request.id)} (or ${rejectCommand(request.id)})`;
}

/**
 * Turns a decision into a pending request: stored, audited in its job's trail and announced on
 * the notification topic with the command that approves it. A decision repeated while a request
 * is pending (the every-minute re-plan, a second alarm) returns that request and writes nothing.
 */
export async function requestApproval(
  config: DrpilotConfig,
  fields: NewRequest,
  options: { now: () => number; notificationTopic?: string },
): Promise<RequestedApproval> {
  const db = dynamoDbDocumentClient(config.controlRegion);
  const { created, request } = await new ApprovalStore(db, config.stateTable, options.now).request(
    fields,
    config.dns.approvalTtlSeconds,
  );
  const reason = awaitingReason(request);
  if (!created) {
    return { created, request, warning: null, reason: `already waiting for approval: ${reason}` };
  }
  const message = {
    approvalId: request.id,
    approve: approveCommand(request.id),
    reject: rejectCommand(request.id),
    expiresAt: request.expiresAt,
    trigger: request.trigger,
    reasonGiven: request.reason,
    plan: request.plan,
    checks: request.checks,
  };
  const [, warning] = await Promise.all([
    new StateStore(db, config.stateTable, options.now).appendAudit(request.kind, {
      ...message,
      action: 'approval-requested',
      outcome: 'pending',
      [request.kind === 'dns' ? 'recordName' : 'group']: request.target,
      reason,
    }),
    notify(
      snsClient(config.controlRegion),
      options.notificationTopic ??
        process.env[NOTIFICATION_TOPIC_ENV] ??
        notificationTopicName(config),
      `${approveCommand(request.id)}: ${config.name} ${request.action} ${request.target} awaits approval`,
      message,
    ),
  ]);
  return { created, request, warning, reason };
}
