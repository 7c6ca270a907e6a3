import { ApprovalStore } from '../adapters/aws/approval-store';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { dnsSubject, resizeSubject, type ApprovalRequest } from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';

/** Every request pending now (the record's, each node group's), for `status`. */
export async function pendingApprovals(
  config: DrpilotConfig,
  now: () => number = Date.now,
): Promise<ApprovalRequest[]> {
  const store = new ApprovalStore(
    dynamoDbDocumentClient(config.controlRegion),
    config.stateTable,
    now,
  );
  return store.allPending([
    dnsSubject(config.dns.recordName),
    ...config.nodeGroups.map((g) => resizeSubject(g.id)),
  ]);
}
