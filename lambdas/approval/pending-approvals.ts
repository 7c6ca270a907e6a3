import { ApprovalStore } from '../adapters/aws/approval-store';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { dnsSubject, resizeSubject, type ApprovalRequest } from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';

const subjects = (config: DrpilotConfig) => [
  dnsSubject(config.dns.recordName),
  ...config.nodeGroups.map((g) => resizeSubject(g.id)),
];

const store = (config: DrpilotConfig, now: () => number) =>
  new ApprovalStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable, now);

/** Every request pending now (the record's, each node group's). */
export async function pendingApprovals(
  config: DrpilotConfig,
  now: () => number = Date.now,
): Promise<ApprovalRequest[]> {
  return store(config, now).allPending(subjects(config));
}

/**
 * What `status` lists: the pending requests, then the approved ones without a result yet (being
 * carried out, or interrupted: `drpilot approve <id>` resumes or expires those).
 */
export async function openApprovals(
  config: DrpilotConfig,
  now: () => number = Date.now,
): Promise<ApprovalRequest[]> {
  const [pending, unfinished] = await Promise.all([
    pendingApprovals(config, now),
    store(config, now).unfinished(subjects(config)),
  ]);
  return [...pending, ...unfinished];
}
