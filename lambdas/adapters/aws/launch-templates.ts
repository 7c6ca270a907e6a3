import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  RunInstancesCommand,
  type _InstanceType,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { DryRunAnswer, LaunchTemplateVersion } from '../../core/resize/template-observations';

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/**
 * One version of a launch template: a number, `$Latest` or `$Default` (resolved to its number).
 * Null when the template or the version does not exist.
 */
export async function describeLaunchTemplateVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  version: string,
): Promise<LaunchTemplateVersion | null> {
  try {
    const { LaunchTemplateVersions = [] } = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: [version],
      }),
    );
    const found = LaunchTemplateVersions[0];
    if (!found) return null;
    const data = found.LaunchTemplateData ?? {};
    return {
      launchTemplateId: found.LaunchTemplateId ?? launchTemplateId,
      launchTemplateName: found.LaunchTemplateName ?? '',
      versionNumber: found.VersionNumber ?? 0,
      instanceType: data.InstanceType ?? null,
      imageId: data.ImageId ?? null,
      instanceProfile: data.IamInstanceProfile?.Arn ?? data.IamInstanceProfile?.Name ?? null,
    };
  } catch (error) {
    if (errorName(error).startsWith('InvalidLaunchTemplateId.')) return null;
    throw error;
  }
}

export interface NewVersionRequest {
  launchTemplateId: string;
  /** The version the new one copies; only the instance type differs. */
  sourceVersion: number;
  instanceType: string;
  description: string;
}

const newVersionInput = (request: NewVersionRequest) => ({
  LaunchTemplateId: request.launchTemplateId,
  SourceVersion: String(request.sourceVersion),
  LaunchTemplateData: { InstanceType: request.instanceType as _InstanceType },
  // EC2 accepts at most 255 characters.
  VersionDescription: request.description.slice(0, 255),
});

/** Creates the new version (not made the default) and returns its number. */
export async function createLaunchTemplateVersion(
  ec2: EC2Client,
  request: NewVersionRequest,
): Promise<number> {
  const { LaunchTemplateVersion } = await ec2.send(
    new CreateLaunchTemplateVersionCommand(newVersionInput(request)),
  );
  const number = LaunchTemplateVersion?.VersionNumber;
  if (number === undefined)
    throw new Error(
      `CreateLaunchTemplateVersion on ${request.launchTemplateId} returned no version`,
    );
  return number;
}

export async function deleteLaunchTemplateVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  version: number,
): Promise<void> {
  const { UnsuccessfullyDeletedLaunchTemplateVersions = [] } = await ec2.send(
    new DeleteLaunchTemplateVersionsCommand({
      LaunchTemplateId: launchTemplateId,
      Versions: [String(version)],
    }),
  );
  const failed = UnsuccessfullyDeletedLaunchTemplateVersions[0];
  if (failed) {
    throw new Error(
      `could not delete version ${version} of ${launchTemplateId}: ${failed.ResponseError?.Code ?? 'unknown'} ${failed.ResponseError?.Message ?? ''}`.trim(),
    );
  }
}

async function dryRun(operation: string, send: () => Promise<unknown>): Promise<DryRunAnswer> {
  try {
    await send();
  } catch (error) {
    if (errorName(error) === 'DryRunOperation') return { allowed: true } as const;
    return {
      allowed: false,
      code: errorName(error) || 'Error',
      message: error instanceof Error ? error.message : String(error),
    } as const;
  }
  throw new Error(`EC2 answered a DryRun ${operation} as if it had been carried out`);
}

/**
 * Whether the caller may launch from the template with another instance type: RunInstances
 * checks ec2:RunInstances and, when the template names an instance profile, iam:PassRole on its
 * role — the rights Auto Scaling checks when a group moves to a new template version.
 */
export function probeRunInstances(
  ec2: EC2Client,
  launchTemplateId: string,
  version: number,
  instanceType: string,
): Promise<DryRunAnswer> {
  return dryRun('RunInstances', () =>
    ec2.send(
      new RunInstancesCommand({
        DryRun: true,
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: String(version) },
        InstanceType: instanceType as _InstanceType,
      }),
    ),
  );
}

export function probeCreateLaunchTemplateVersion(
  ec2: EC2Client,
  request: NewVersionRequest,
): Promise<DryRunAnswer> {
  return dryRun('CreateLaunchTemplateVersion', () =>
    ec2.send(new CreateLaunchTemplateVersionCommand({ ...newVersionInput(request), DryRun: true })),
  );
}
