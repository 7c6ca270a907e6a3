import { randomUUID } from 'node:crypto';
import {
  ActiveInstanceRefreshNotFoundFault,
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  InstanceRefreshInProgressFault,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type InstanceRefreshStatus,
  type StartInstanceRefreshCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';

interface Step {
  status: InstanceRefreshStatus;
  percent: number;
  reason?: string;
}

interface Refresh {
  id: string;
  input: StartInstanceRefreshCommandInput;
  steps: Step[];
  /** Index of the step the refresh is in: the next DescribeInstanceRefreshes reports it. */
  at: number;
  startTime: Date;
}

const ACTIVE: ReadonlySet<string> = new Set([
  'Pending',
  'InProgress',
  'Cancelling',
  'RollbackInProgress',
  'Baking',
]);

const validationError = (message: string) =>
  new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message,
    $metadata: { httpStatusCode: 400 },
  });

/**
 * moto 5.2.5 has no instance refresh. This stateful fake answers StartInstanceRefresh and
 * DescribeInstanceRefreshes in front of moto by the rules Amazon EC2 Auto Scaling documents:
 * - one active refresh per group: StartInstanceRefresh while one is Pending, InProgress,
 *   Cancelling, RollbackInProgress or Baking fails with InstanceRefreshInProgress;
 * - AutoRollback is not supported (ValidationError) without a DesiredConfiguration, when the
 *   group uses its launch template's $Latest or $Default version, or when that template takes its
 *   AMI from a Systems Manager parameter;
 * - each DescribeInstanceRefreshes moves a refresh one step: Pending → InProgress → Successful.
 *   On success the group takes the desired launch template and its instances are replaced (in
 *   moto) by ones launched from it;
 * - after failNextRefresh(reason) (say, new instances fail their health checks) the next refresh
 *   goes Pending → InProgress → RollbackInProgress → RollbackSuccessful with AutoRollback, or
 *   → Failed without; the group keeps its old launch template and instances;
 * - after stallNextRefresh() the next refresh stays InProgress (an instance that never passes its
 *   health check, a drain that never ends);
 * - CancelInstanceRefresh moves the group's active refresh to Cancelling, then Cancelled; with
 *   none active it fails with ActiveInstanceRefreshNotFound
 *   (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html).
 */
export class InstanceRefreshFake {
  /** Every StartInstanceRefresh accepted, in order. */
  readonly started: StartInstanceRefreshCommandInput[] = [];
  private readonly refreshes = new Map<string, Refresh[]>();
  private failure: string | null = null;

  private stall = false;

  failNextRefresh(reason: string): void {
    this.failure = reason;
  }

  stallNextRefresh(): void {
    this.stall = true;
  }

  /** The status of the group's newest refresh, as the next DescribeInstanceRefreshes reports it. */
  newestStatus(groupName: string): string | undefined {
    const [newest] = this.refreshes.get(groupName) ?? [];
    return newest?.steps[newest.at]?.status;
  }

  install(autoScaling: AutoScalingClient, region: string): void {
    const moto = { autoScaling: new AutoScalingClient({ region }), ec2: new EC2Client({ region }) };
    autoScaling.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, any>;
        switch (context.commandName) {
          case 'StartInstanceRefreshCommand':
            return {
              output: (await this.start(moto, input as StartInstanceRefreshCommandInput)) as any,
              response: {},
            };
          case 'DescribeInstanceRefreshesCommand':
            return { output: (await this.describe(moto.autoScaling, input)) as any, response: {} };
          case 'CancelInstanceRefreshCommand':
            return { output: this.cancel(input.AutoScalingGroupName) as any, response: {} };
          default:
            return next(args);
        }
      },
      { step: 'initialize', name: 'instanceRefreshFake' },
    );
  }

  private async start(
    moto: { autoScaling: AutoScalingClient; ec2: EC2Client },
    input: StartInstanceRefreshCommandInput,
  ) {
    const name = input.AutoScalingGroupName ?? '';
    const { AutoScalingGroups = [] } = await moto.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const group = AutoScalingGroups[0];
    if (!group) throw validationError(`AutoScalingGroup name not found - ${name}`);
    const refreshes = this.refreshes.get(name) ?? [];
    const active = refreshes.find((r) => ACTIVE.has(r.steps[r.at]!.status));
    if (active) {
      throw new InstanceRefreshInProgressFault({
        message: `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh (${active.id}).`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    const autoRollback = input.Preferences?.AutoRollback === true;
    if (autoRollback) {
      if (!input.DesiredConfiguration) {
        throw validationError('Rollback is not supported without a desired configuration.');
      }
      const template = group.LaunchTemplate;
      if (!template || !/^\d+$/.test(template.Version ?? '$Default')) {
        throw validationError(
          `Rollback is not supported: the group uses launch template version ${template?.Version ?? '(none)'}, not a specific numbered version.`,
        );
      }
      const { LaunchTemplateVersions = [] } = await moto.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: template.LaunchTemplateId,
          Versions: [template.Version!],
        }),
      );
      const imageId = LaunchTemplateVersions[0]?.LaunchTemplateData?.ImageId ?? '';
      if (imageId.startsWith('resolve:ssm:')) {
        throw validationError(
          `Rollback is not supported for a launch template whose ImageId is a Systems Manager parameter (${imageId}).`,
        );
      }
    }
    const reason = this.failure;
    this.failure = null;
    const stalled = this.stall;
    this.stall = false;
    const steps: Step[] = [
      { status: 'Pending', percent: 0 },
      { status: 'InProgress', percent: 50 },
      ...(stalled
        ? []
        : reason === null
          ? [{ status: 'Successful', percent: 100 } as const]
          : autoRollback
            ? [
                { status: 'RollbackInProgress', percent: 25, reason } as const,
                { status: 'RollbackSuccessful', percent: 0, reason } as const,
              ]
            : [{ status: 'Failed', percent: 50, reason } as const]),
    ];
    const refresh: Refresh = { id: randomUUID(), input, steps, at: 0, startTime: new Date() };
    this.refreshes.set(name, [refresh, ...refreshes]);
    this.started.push(input);
    return { InstanceRefreshId: refresh.id, $metadata: {} };
  }

  private cancel(name: string) {
    const active = (this.refreshes.get(name) ?? []).find((r) => ACTIVE.has(r.steps[r.at]!.status));
    if (!active) {
      throw new ActiveInstanceRefreshNotFoundFault({
        message: `No in progress or pending Instance Refresh found for Auto Scaling group ${name}`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    const percent = active.steps[active.at]!.percent;
    active.steps = [
      ...active.steps.slice(0, active.at),
      { status: 'Cancelling', percent },
      { status: 'Cancelled', percent },
    ];
    return { InstanceRefreshId: active.id, $metadata: {} };
  }

  private async describe(moto: AutoScalingClient, input: Record<string, any>) {
    const name: string = input.AutoScalingGroupName;
    const wanted: string[] | undefined = input.InstanceRefreshIds;
    const refreshes = (this.refreshes.get(name) ?? []).filter(
      (r) => !wanted || wanted.includes(r.id),
    );
    const reported = [];
    for (const refresh of refreshes) {
      const step = refresh.steps[refresh.at]!;
      reported.push({
        InstanceRefreshId: refresh.id,
        AutoScalingGroupName: name,
        Status: step.status,
        ...(step.reason ? { StatusReason: step.reason } : {}),
        PercentageComplete: step.percent,
        StartTime: refresh.startTime,
        Preferences: refresh.input.Preferences,
        DesiredConfiguration: refresh.input.DesiredConfiguration,
      });
      if (refresh.at < refresh.steps.length - 1) {
        refresh.at += 1;
        if (refresh.steps[refresh.at]!.status === 'Successful') await this.complete(moto, refresh);
      }
    }
    return { InstanceRefreshes: reported, $metadata: {} };
  }

  /** What a successful refresh leaves behind: the desired template, instances launched from it. */
  private async complete(autoScaling: AutoScalingClient, refresh: Refresh) {
    const name = refresh.input.AutoScalingGroupName!;
    const template = refresh.input.DesiredConfiguration?.LaunchTemplate;
    if (!template) return;
    const { AutoScalingGroups = [] } = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const old = (AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId!);
    await autoScaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: template }),
    );
    for (const id of old) {
      await autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: id,
          ShouldDecrementDesiredCapacity: false,
        }),
      );
    }
  }
}
