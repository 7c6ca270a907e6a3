import { randomUUID } from 'node:crypto';
import {
  DescribeNodegroupCommand,
  EKSClient,
  InvalidParameterException,
  ResourceInUseException,
  ResourceNotFoundException,
  type ErrorDetail,
  type Update,
  type UpdateNodegroupVersionCommandInput,
} from '@aws-sdk/client-eks';

interface NodegroupUpdate {
  update: Update;
  key: string;
  launchTemplateVersion: string | undefined;
  /** DescribeUpdate calls left that report InProgress. */
  pollsLeft: number;
  failure: ErrorDetail | null;
}

const keyOf = (clusterName: string, nodegroupName: string) => `${clusterName}/${nodegroupName}`;

/**
 * moto 5.2.5 has no UpdateNodegroupVersion or DescribeUpdate. This stateful fake answers them in
 * front of moto by the rules EKS documents for moving a managed node group to another version
 * of its launch template:
 * - a node group can be updated with a launch template only if it was created with one, and only
 *   to a version of that same template: InvalidParameterException otherwise;
 * - one update at a time: while one is InProgress, UpdateNodegroupVersion fails with
 *   ResourceInUseException and DescribeNodegroup reports the node group UPDATING;
 * - DescribeUpdate reports InProgress for `pollsInProgress` calls, then Successful, after which
 *   DescribeNodegroup reports the new launch template version; after failNextUpdate(error) it
 *   reports Failed with that error instead, and the node group keeps its old version;
 * - a node group created with a launch template and no instanceTypes reports none (moto reports
 *   its default, t3.medium): the type then comes from the template.
 */
export class NodegroupUpdateFake {
  /** Every UpdateNodegroupVersion accepted, in order. */
  readonly started: UpdateNodegroupVersionCommandInput[] = [];
  private readonly updates = new Map<string, NodegroupUpdate>();
  private readonly versions = new Map<string, string>();
  private readonly typeFromTemplate = new Set<string>();
  private failure: ErrorDetail | null = null;

  constructor(private readonly pollsInProgress = 1) {}

  failNextUpdate(error: ErrorDetail): void {
    this.failure = error;
  }

  install(eks: EKSClient, region: string): void {
    const moto = new EKSClient({ region });
    eks.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, any>;
        switch (context.commandName) {
          case 'CreateNodegroupCommand':
            if (input.launchTemplate && !input.instanceTypes?.length) {
              this.typeFromTemplate.add(keyOf(input.clusterName, input.nodegroupName));
            }
            return next(args);
          case 'DescribeNodegroupCommand': {
            const result = await next(args);
            this.patch((result.output as Record<string, any>).nodegroup);
            return result;
          }
          case 'UpdateNodegroupVersionCommand':
            return {
              output: (await this.start(moto, input as UpdateNodegroupVersionCommandInput)) as any,
              response: {},
            };
          case 'DescribeUpdateCommand':
            return { output: this.describe(input) as any, response: {} };
          default:
            return next(args);
        }
      },
      { step: 'initialize', name: 'nodegroupUpdateFake' },
    );
  }

  private active(key: string) {
    return [...this.updates.values()].find(
      (u) => u.key === key && u.update.status === 'InProgress',
    );
  }

  private patch(nodegroup: Record<string, any> | undefined) {
    if (!nodegroup) return;
    const key = keyOf(nodegroup.clusterName, nodegroup.nodegroupName);
    if (this.typeFromTemplate.has(key)) delete nodegroup.instanceTypes;
    const version = this.versions.get(key);
    if (version && nodegroup.launchTemplate) nodegroup.launchTemplate.version = version;
    if (this.active(key)) nodegroup.status = 'UPDATING';
  }

  private async start(moto: EKSClient, input: UpdateNodegroupVersionCommandInput) {
    const { clusterName = '', nodegroupName = '' } = input;
    const key = keyOf(clusterName, nodegroupName);
    const { nodegroup } = await moto.send(
      new DescribeNodegroupCommand({ clusterName, nodegroupName }),
    );
    const own = nodegroup?.launchTemplate;
    const wanted = input.launchTemplate;
    const metadata = { $metadata: { httpStatusCode: 400 }, clusterName, nodegroupName };
    if (wanted && !own) {
      throw new InvalidParameterException({
        ...metadata,
        message: `You cannot specify a launch template: node group ${nodegroupName} was not created with one.`,
      });
    }
    if (
      wanted &&
      own &&
      ((wanted.id && wanted.id !== own.id) || (wanted.name && wanted.name !== own.name))
    ) {
      throw new InvalidParameterException({
        ...metadata,
        message: `The launch template must be the one node group ${nodegroupName} was created with (${own.id}).`,
      });
    }
    const active = this.active(key);
    if (active) {
      throw new ResourceInUseException({
        ...metadata,
        $metadata: { httpStatusCode: 409 },
        message: `Update ${active.update.id} is already in progress for node group ${nodegroupName}.`,
      });
    }
    const update: Update = {
      id: randomUUID(),
      status: 'InProgress',
      type: 'VersionUpdate',
      params: wanted
        ? [
            { type: 'LaunchTemplateName', value: own?.name },
            { type: 'LaunchTemplateVersion', value: wanted.version },
          ]
        : [],
      createdAt: new Date(),
      errors: [],
    };
    this.updates.set(update.id!, {
      update,
      key,
      launchTemplateVersion: wanted?.version,
      pollsLeft: this.pollsInProgress,
      failure: this.failure,
    });
    this.failure = null;
    this.started.push(input);
    return { update, $metadata: {} };
  }

  private describe(input: Record<string, any>) {
    const entry = this.updates.get(input.updateId);
    if (!entry || entry.key !== keyOf(input.name, input.nodegroupName)) {
      throw new ResourceNotFoundException({
        $metadata: { httpStatusCode: 404 },
        message: `No update found for ID: ${input.updateId}.`,
      });
    }
    if (entry.update.status === 'InProgress') {
      if (entry.pollsLeft > 0) {
        entry.pollsLeft -= 1;
      } else if (entry.failure) {
        entry.update = { ...entry.update, status: 'Failed', errors: [entry.failure] };
      } else {
        entry.update = { ...entry.update, status: 'Successful' };
        if (entry.launchTemplateVersion) this.versions.set(entry.key, entry.launchTemplateVersion);
      }
    }
    return { update: entry.update, $metadata: {} };
  }
}
