import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  type Change,
  type Route53Client,
} from '@aws-sdk/client-route-53';

export interface ChangeBatchJson {
  Comment?: string;
  Changes: {
    Action: 'CREATE' | 'DELETE' | 'UPSERT';
    ResourceRecordSet: {
      Name: string;
      Type: string;
      TTL: number;
      ResourceRecords: { Value: string }[];
    };
  }[];
}

/** Submits one change batch; Route 53 applies all of it or none. Returns the change id. */
export async function submitChangeBatch(
  route53: Route53Client,
  hostedZoneId: string,
  batch: ChangeBatchJson,
): Promise<string> {
  const { ChangeInfo } = await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: { Comment: batch.Comment, Changes: batch.Changes as Change[] },
    }),
  );
  return (ChangeInfo?.Id ?? '').replace('/change/', '');
}

export interface InsyncWait {
  insync: boolean;
  seconds: number;
  polls: number;
}

/**
 * Polls GetChange until Route 53 reports the change INSYNC on all its authoritative servers, or
 * the timeout passes (the change is then still applied; only propagation is unconfirmed).
 */
export async function waitForInsync(
  route53: Route53Client,
  changeId: string,
  options: {
    timeoutMs: number;
    pollMs: number;
    onProgress?: (message: string) => void;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<InsyncWait> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  for (let polls = 1; ; polls++) {
    const { ChangeInfo } = await route53.send(new GetChangeCommand({ Id: changeId }));
    const seconds = (Date.now() - started) / 1000;
    if (ChangeInfo?.Status === 'INSYNC') return { insync: true, seconds, polls };
    if (Date.now() - started + options.pollMs > options.timeoutMs)
      return { insync: false, seconds, polls };
    options.onProgress?.(
      `change ${changeId} is ${ChangeInfo?.Status ?? 'unknown'} after ${seconds.toFixed(0)} s`,
    );
    await sleep(options.pollMs);
  }
}
