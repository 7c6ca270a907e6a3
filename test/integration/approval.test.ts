/**
 * Approval mode (`dns.mode: "approve"`) on moto: the primary's alarm and the every-minute re-plan
 * leave Route 53 alone and leave one pending request, audited and announced on the notification
 * topic (read back through an SQS queue subscribed to it, as moto delivers SNS → SQS);
 * `approve` re-plans with every check and switches only if they still pass, once however many
 * approve at the same time; `reject`, expiry, a second approve and an unknown id.
 */
import { ListTopicsCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import {
  dynamoDbDocumentClient,
  route53Client,
  snsClient,
} from '../../lambdas/adapters/aws/clients';
import { ApprovalStore } from '../../lambdas/adapters/aws/approval-store';
import { rejectRequest } from '../../lambdas/approval/decide-approval';
import { pendingApprovals } from '../../lambdas/approval/pending-approvals';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { NOTIFICATION_TOPIC_ENV, notificationTopicName } from '../../lambdas/core/shared-names';
import {
  approveDns as approve,
  storedApproval,
  theOneThat,
  useApproveModeDns,
} from '../support/approval-estate';
import { countCommands } from '../support/dns-estate';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { configFile } from '../support/temp-dir';

useMoto();
/** The estate with dns.mode "approve", the primary down, and the DNS function over it. */
const approveModeEstate = useApproveModeDns('approval-test');

const ID = /^dns-[0-9a-f]{8}$/;

afterEach(() => {
  Reflect.deleteProperty(process.env, NOTIFICATION_TOPIC_ENV);
});

/** Subscribes a new SQS queue to the notification topic; `read` drains what arrived since. */
async function subscribeQueue(config: DrpilotConfig) {
  const sqs = new SQSClient({ region: config.controlRegion });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'approval-test' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const sns = snsClient(config.controlRegion);
  const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
  const topic = Topics.find((t) => t.TopicArn?.endsWith(`:${notificationTopicName(config)}`));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic!.TopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!['QueueArn'],
    }),
  );
  return async () => {
    const received: { subject: string; message: Record<string, any> }[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return received;
      for (const m of Messages) {
        const envelope = JSON.parse(m.Body!);
        received.push({ subject: envelope.Subject, message: JSON.parse(envelope.Message) });
      }
    }
  };
}

describe('approval mode: an automatic switch becomes a pending request', () => {
  it('the primary alarm changes no record: one request, audited and announced on SNS with the command; the re-plan while it waits adds nothing', async () => {
    const { estate, alarm, replan } = await approveModeEstate();
    const read = await subscribeQueue(estate.config);
    const route53 = countCommands(route53Client());

    const pending = await alarm();
    expect(pending).toMatchObject({ action: 'failover', outcome: 'pending', changeId: null });
    const id: string = pending.approvalId;
    expect(id).toMatch(ID);
    expect(pending.reason).toBe(
      `failover main.example.com awaits approval until ${(await pendingApprovals(estate.config))[0]!.expiresAt}: drpilot approve ${id} (or drpilot reject ${id})`,
    );
    expect(pending.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });

    const messages = await read();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toBe(
      `drpilot approve ${id}: acme failover main.example.com awaits approval`,
    );
    expect(messages[0]!.message).toMatchObject({
      approvalId: id,
      approve: `drpilot approve ${id}`,
      reject: `drpilot reject ${id}`,
      plan: { from: 'primary', to: 'dr', toTarget: 'dr.example.com' },
    });

    const again = await replan();
    expect(again).toMatchObject({ outcome: 'pending', approvalId: id });
    expect(again.reason).toMatch(/^already waiting for approval: /);
    const twice = await alarm();
    expect(twice).toMatchObject({ outcome: 'pending', approvalId: id });
    expect(await read()).toEqual([]);
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    const requested = (await estate.store().recentAudit('dns')).filter(
      (e) => e['action'] === 'approval-requested',
    );
    expect(requested.map((e) => [e['approvalId'], e['outcome']])).toEqual([[id, 'pending']]);
    expect((await pendingApprovals(estate.config)).map((r) => r.id)).toEqual([id]);

    const file = configFile(estate.config);
    const status = await runCli(['--config', file, 'status', '--json']);
    expect(status.json().approvals).toMatchObject([
      { id, kind: 'dns', action: 'failover', target: 'main.example.com', status: 'pending' },
    ]);
    const human = await runCli(['--config', file, 'status']);
    expect(human.stdout).toMatch(
      new RegExp(
        `^Approvals +${id} {2}failover main\\.example\\.com until \\S+: .+ \\(drpilot approve ${id}\\)$`,
        'm',
      ),
    );
  });
});

describe('approval mode: a notification that cannot go out', () => {
  it('the request is still stored and audited, the result warns, and Route 53 is untouched', async () => {
    const { estate, alarm } = await approveModeEstate();
    process.env[NOTIFICATION_TOPIC_ENV] = 'no-such-topic';
    const route53 = countCommands(route53Client());
    const pending = await alarm();
    expect(pending).toMatchObject({ outcome: 'pending', approvalId: expect.stringMatching(ID) });
    expect(pending.warnings).toEqual([
      'notification topic no-such-topic not found: decision not notified',
    ]);
    expect((await pendingApprovals(estate.config)).map((r) => r.id)).toEqual([pending.approvalId]);
    const audited = (await estate.store().recentAudit('dns')).map((e) => e['action']);
    expect(audited).toEqual(['approval-requested']);
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
  });
});

describe('drpilot approve / reject', () => {
  it('approve re-plans and switches when the checks pass; a second approve is a no-op (exit 0); history shows both', async () => {
    const { estate, alarm } = await approveModeEstate();
    const { approvalId: id } = await alarm();

    const approved = await approve(estate, id);
    expect(approved).toMatchObject({ outcome: 'switched', id });
    expect(approved.result).toMatchObject({ outcome: 'switched', from: 'primary', to: 'dr' });
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });
    expect(await pendingApprovals(estate.config)).toEqual([]);

    const file = configFile(estate.config);
    const second = await runCli(['--config', file, 'approve', id, '--json'], {
      env: { ...process.env, USER: 'bob' },
    });
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ outcome: 'already-decided', id });
    expect(second.json().reason).toMatch(
      new RegExp(
        `^${id} was already approved by alice at .+; its re-plan was switched: main.example.com now points at dr.example.com \\(dr\\): nothing to do$`,
      ),
    );

    const history = await runCli(['--config', file, 'history', '--job', 'dns', '--json']);
    const actions = history.json().entries.map((e: any) => [e.entry.action, e.outcome]);
    expect(actions).toEqual([
      ['failover', 'switched'],
      ['approve', 'approved'],
      ['approval-requested', 'pending'],
    ]);
  });

  it('approve after the target went unhealthy: refused, nothing switched', async () => {
    const { estate, alarm } = await approveModeEstate();
    const { approvalId: id } = await alarm();
    await setHealthAlarm(estate.config, 'dr', 'ALARM', 'test: dr down too');
    const route53 = countCommands(route53Client());

    const dryRun = await approve(estate, id, { dryRun: true });
    expect(dryRun.outcome).toBe('dry-run');
    expect(dryRun.result).toMatchObject({ outcome: 'refused' });
    expect((await pendingApprovals(estate.config)).map((r) => r.id)).toEqual([id]);

    const answer = await approve(estate, id);
    expect(answer.outcome).toBe('refused');
    expect(answer.reason).toMatch(
      /^refusing to fail over main.example.com to dr: target-healthy \(dr health alarm acme-dr-health is ALARM/,
    );
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    expect(await storedApproval(estate.config, id)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      result: { outcome: 'refused' },
    });
  });

  it('10 approvals at once switch exactly once; the others answer it was already approved', async () => {
    const { estate, alarm } = await approveModeEstate();
    const { approvalId: id } = await alarm();
    const route53 = countCommands(route53Client());

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => approve(estate, id, { by: `person-${i}` })),
    );
    theOneThat(answers, 'switched');
    expect(route53.succeeded['ChangeResourceRecordSets']).toBe(1);
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });
    const approvals = (await estate.store().recentAudit('dns')).filter(
      (e) => e['action'] === 'approve',
    );
    expect(approvals).toHaveLength(1);
  });

  it('reject closes the request without a change; approving it then is a no-op', async () => {
    const { estate, alarm } = await approveModeEstate();
    const { approvalId: id } = await alarm();
    const route53 = countCommands(route53Client());

    expect(await rejectRequest(estate.config, id, { by: 'carol', dryRun: false })).toMatchObject({
      outcome: 'rejected',
      reason: `carol rejected ${id} (failover main.example.com)`,
    });
    expect(await approve(estate, id)).toMatchObject({ outcome: 'already-decided' });
    expect(route53.total()).toBe(0);
    expect(await pendingApprovals(estate.config)).toEqual([]);
  });

  it('a request expires at its time (injected clock): approving it, or an unknown id, is a usage error (exit 2) naming it; the next decision asks anew', async () => {
    const { estate, alarm, replan } = await approveModeEstate();
    const { approvalId: id } = await alarm();
    const later = () => new Date(Date.now() + (estate.config.dns.approvalTtlSeconds + 1) * 1000);
    expect(await pendingApprovals(estate.config, () => later().getTime())).toEqual([]);
    const expired = await approve(estate, id, { now: later });
    expect(expired.outcome).toBe('expired');
    expect(expired.reason).toMatch(new RegExp(`^approval request ${id} expired at `));
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });

    // A request made two hours ago has expired by the real clock: the CLI refuses it.
    const store = new ApprovalStore(
      dynamoDbDocumentClient('us-east-1'),
      estate.config.stateTable,
      () => Date.now() - 2 * 3600_000,
    );
    const old = await store.request(
      {
        kind: 'resize',
        subject: 'resize#primary-workers',
        action: 'resize',
        target: 'primary-workers',
        trigger: 'test',
        reason: 'test',
        plan: {},
        checks: [],
      },
      3600,
    );
    const file = configFile(estate.config);
    const cli = await runCli(['--config', file, 'approve', old.request.id]);
    expect(cli.code).toBe(2);
    expect(cli.stderr + cli.stdout).toContain(`approval request ${old.request.id} expired at`);
    const unknown = await runCli(['--config', file, 'reject', 'dns-00000000', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error.message).toBe(
      'no approval request dns-00000000 (drpilot status lists the pending ones)',
    );

    // The expired resize request no longer holds its group: a new one is created for it.
    const fresh = await new ApprovalStore(
      dynamoDbDocumentClient('us-east-1'),
      estate.config.stateTable,
    ).request({ ...old.request, trigger: 'test again' }, 3600);
    expect(fresh.created).toBe(true);
    expect(fresh.request.id).not.toBe(old.request.id);
    expect((await replan()).approvalId).toBe(id);
  });
});
