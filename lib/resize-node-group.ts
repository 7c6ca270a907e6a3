import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  EKS_DRAIN_GROUP,
  validatedKubernetesAccess,
} from '../lambdas/core/config/kubernetes-access';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../lambdas/core/config/schema';
import { OPT_IN_TAG } from '../lambdas/core/resize/opt-in';
import { RETYPE_CONDITION_KEY, retypeCondition } from '../lambdas/core/resize/retype-condition';
import { resizeGroupAlarmPrefix, ROLLOUT_MARK_TAGS } from '../lambdas/core/shared-names';
import { describeClusterStatement, eksAccessEntry } from './eks-api-access';
import { acknowledge } from './nag';
import type { ReactiveFunction } from './reactive-function';

export interface NodeGroupResizeProps {
  readonly config: DrpilotConfig;
  readonly group: NodeGroupConfig;
  /** The region's resize function (ResizeRollout). */
  readonly resize: ReactiveFunction;
}

/**
 * What one node group needs: its alarms' state changes delivered to the resize function (the
 * alarms themselves are kept in step with the group's members by MemberAlarmReconciler), and the
 * resize function's rights on exactly this group — instances by tag, the launch template by the
 * opt-in tag, the Auto Scaling group or nodegroup by name, the kubeconfig secret by name — or,
 * with EKS auth, DescribeCluster on the one cluster and an access entry mapping the role to the
 * drain group.
 */
export class NodeGroupResize extends Construct {
  readonly alarmRule: events.Rule;

  constructor(scope: Construct, id: string, props: NodeGroupResizeProps) {
    super(scope, id);
    const { config, group, resize } = props;

    this.alarmRule = new events.Rule(this, 'Alarms', {
      description: `drpilot ${config.name}: resize alarms of node group ${group.id} going to ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: events.Match.prefix(resizeGroupAlarmPrefix(config, group.id)),
          state: { value: ['ALARM'] },
        },
      },
      targets: [new targets.LambdaFunction(resize.fn)],
    });

    if (group.kind === 'ec2') this.grantEc2(props);
    else this.grantTemplate(props);
  }

  private arn(service: string, resource: string, resourceName: string, format?: ArnFormat) {
    return Stack.of(this).formatArn({
      service,
      resource,
      resourceName,
      ...(format ? { arnFormat: format } : {}),
    });
  }

  private grantEc2({ config, group, resize }: NodeGroupResizeProps): void {
    const tag = group.selector.tag;
    const groupTags = {
      [`aws:ResourceTag/${OPT_IN_TAG.key}`]: OPT_IN_TAG.value,
      ...(tag ? { [`aws:ResourceTag/${tag.key}`]: tag.value } : {}),
    };
    // ModifyInstanceAttribute sets any one attribute (user data, security groups, …): only a
    // request that sets the instance type to a ladder type is allowed (see retype-condition.ts
    // for what the Service Authorization Reference documents about ec2:Attribute/InstanceType).
    const retype = retypeCondition(group);
    const retypeConditions =
      retype.operator === 'StringEquals'
        ? { StringEquals: { ...groupTags, [RETYPE_CONDITION_KEY]: retype.values } }
        : { StringEquals: groupTags, StringLike: { [RETYPE_CONDITION_KEY]: retype.values } };
    const statements = [
      new iam.PolicyStatement({
        sid: sid(group, 'StopStart'),
        actions: ['ec2:StopInstances', 'ec2:StartInstances'],
        resources: [this.arn('ec2', 'instance', '*')],
        conditions: { StringEquals: groupTags },
      }),
      new iam.PolicyStatement({
        // The marks a rollout puts on a node it cordons or stops (ROLLOUT_MARK_TAGS): these
        // tag keys only, on the group's instances only.
        sid: sid(group, 'RolloutMarks'),
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: [this.arn('ec2', 'instance', '*')],
        conditions: {
          StringEquals: groupTags,
          'ForAllValues:StringEquals': { 'aws:TagKeys': [...ROLLOUT_MARK_TAGS] },
        },
      }),
      new iam.PolicyStatement({
        sid: sid(group, 'RetypeOnly'),
        actions: ['ec2:ModifyInstanceAttribute'],
        resources: [this.arn('ec2', 'instance', '*')],
        conditions: retypeConditions,
      }),
      this.volumeKeyGrant(config, group),
    ];
    const access = group.kubernetes ? validatedKubernetesAccess(group.kubernetes) : undefined;
    if (access?.auth === 'eks') {
      const { clusterName } = access;
      statements.push(describeClusterStatement(this, sid(group, 'DescribeCluster'), clusterName));
      eksAccessEntry(resize, {
        clusterName,
        principalArn: resize.role.roleArn,
        kubernetesGroup: EKS_DRAIN_GROUP,
      });
    }
    const secret = access?.auth === 'kubeconfig' ? access.secretName : undefined;
    if (secret) {
      statements.push(
        new iam.PolicyStatement({
          sid: sid(group, 'ReadKubeconfig'),
          actions: ['secretsmanager:GetSecretValue'],
          // Secrets Manager appends six random characters to a secret's ARN.
          resources: [
            this.arn('secretsmanager', 'secret', `${secret}-??????`, ArnFormat.COLON_RESOURCE_NAME),
          ],
        }),
      );
    }
    for (const statement of statements) resize.addToRolePolicy(statement);
    acknowledge(resize.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason: `Instances of node group ${group.id} are chosen by tag, not by id: instance/* limited by the aws:ResourceTag conditions (the group's tag and the opt-in tag).`,
        appliesTo: [`Resource::${this.arn('ec2', 'instance', '*')}`],
      },
      this.keyAcknowledgement(group),
    ]);
  }

  private asgArn(group: NodeGroupConfig): string {
    return this.arn(
      'autoscaling',
      'autoScalingGroup',
      `*:autoScalingGroupName/${group.selector.autoScalingGroupName ?? '*'}`,
      ArnFormat.COLON_RESOURCE_NAME,
    );
  }

  private nodegroupArn(group: NodeGroupConfig): string {
    const { clusterName = '', nodegroupName = '' } = group.selector.eks ?? {};
    return this.arn('eks', 'nodegroup', `${clusterName}/${nodegroupName}/*`);
  }

  private keyAcknowledgement(group: NodeGroupConfig) {
    return {
      rule: 'AwsSolutions-IAM5',
      reason: `Volumes of node group ${group.id} may use any customer managed key; kms:CreateGrant is limited to grants for AWS resources made through EC2 in this region (kms:GrantIsForAWSResource, kms:ViaService).`,
      appliesTo: [`Resource::${this.arn('kms', 'key', '*')}`],
    };
  }

  /** Starting an instance whose volumes use a customer managed key needs a grant for EC2. */
  private volumeKeyGrant(config: DrpilotConfig, group: NodeGroupConfig): iam.PolicyStatement {
    const region = config.clusters[group.cluster as Side].region;
    return new iam.PolicyStatement({
      sid: sid(group, 'VolumeKeyGrants'),
      actions: ['kms:CreateGrant'],
      resources: [this.arn('kms', 'key', '*')],
      conditions: {
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
        StringEquals: { 'kms:ViaService': `ec2.${region}.amazonaws.com` },
      },
    });
  }

  private grantTemplate({ config, group, resize }: NodeGroupResizeProps): void {
    const optIn = { [`aws:ResourceTag/${OPT_IN_TAG.key}`]: OPT_IN_TAG.value };
    const statements = [
      new iam.PolicyStatement({
        sid: sid(group, 'NewTemplateVersion'),
        actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplateVersions'],
        resources: [this.arn('ec2', 'launch-template', '*')],
        conditions: { StringEquals: optIn },
      }),
      this.volumeKeyGrant(config, group),
    ];
    if (group.kind === 'asg') {
      statements.push(
        new iam.PolicyStatement({
          sid: sid(group, 'RefreshTheGroup'),
          // Cancel: a refresh still running at the rollout's poll bound is stopped.
          actions: ['autoscaling:CancelInstanceRefresh', 'autoscaling:StartInstanceRefresh'],
          resources: [this.asgArn(group)],
          // A group found by its tag has no name to put in the ARN: its tag limits it instead.
          conditions: {
            StringEquals: {
              ...optIn,
              ...(group.selector.tag
                ? { [`aws:ResourceTag/${group.selector.tag.key}`]: group.selector.tag.value }
                : {}),
            },
          },
        }),
      );
    }
    if (group.kind === 'eks-managed' && group.selector.eks) {
      statements.push(
        new iam.PolicyStatement({
          sid: sid(group, 'UpdateTheNodegroup'),
          actions: ['eks:DescribeNodegroup', 'eks:UpdateNodegroupVersion', 'eks:DescribeUpdate'],
          resources: [this.nodegroupArn(group)],
        }),
      );
    }
    for (const statement of statements) resize.addToRolePolicy(statement);
    if (group.kind === 'asg') {
      // Auto Scaling checks that whoever moves a group to a template version may launch from
      // it: RunInstances (probed with DryRun first) and passing its instance profile's role.
      resize.allowOnAnyResource(`${sid(group, 'LaunchFromTemplate')}`, {
        actions: ['ec2:RunInstances', 'ec2:CreateTags'],
        reason: `RunInstances touches resources of many types (subnet, image, volume, network interface…) that the launch template of node group ${group.id} chooses; limited to launches from a launch template (ec2:LaunchTemplate).`,
        conditions: { ArnLike: { 'ec2:LaunchTemplate': this.arn('ec2', 'launch-template', '*') } },
      });
      resize.allowOnAnyResource(`${sid(group, 'PassInstanceRole')}`, {
        actions: ['iam:PassRole'],
        reason: `The instance profile role of node group ${group.id}'s launch template is the owner's; passing is limited to EC2 (iam:PassedToService).`,
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      });
    }
    acknowledge(resize.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason: `The launch template of node group ${group.id} is found at run time (from the group): launch-template/* limited to templates carrying the opt-in tag.`,
        appliesTo: [`Resource::${this.arn('ec2', 'launch-template', '*')}`],
      },
      ...(group.kind === 'asg'
        ? [
            {
              rule: 'AwsSolutions-IAM5',
              reason: group.selector.autoScalingGroupName
                ? `The id part of an Auto Scaling group's ARN is random; the group ${group.selector.autoScalingGroupName} is named.`
                : `Node group ${group.id} finds its Auto Scaling group by tag: any group, limited by the aws:ResourceTag conditions (its tag and the opt-in tag).`,
              appliesTo: [`Resource::${this.asgArn(group)}`],
            },
          ]
        : [
            {
              rule: 'AwsSolutions-IAM5',
              reason:
                "The last part of a nodegroup's ARN is an id EKS chooses; the nodegroup is named.",
              appliesTo: [`Resource::${this.nodegroupArn(group)}`],
            },
          ]),
      this.keyAcknowledgement(group),
    ]);
  }
}

const sid = (group: NodeGroupConfig, what: string) =>
  `${group.id.replace(/[^a-zA-Z0-9]/g, '')}${what}`;
