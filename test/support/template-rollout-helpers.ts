import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import {
  pollTemplateRollout,
  type TemplateRolloutHandle,
} from '../../lambdas/resize/template-rollout';

/** Every version of a launch template, oldest first, with the fields a rollout changes or keeps. */
export async function templateVersions(region: string, launchTemplateId: string) {
  const { LaunchTemplateVersions = [] } = await ec2Client(region).send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }),
  );
  return LaunchTemplateVersions.map((v) => ({
    version: v.VersionNumber,
    type: v.LaunchTemplateData?.InstanceType,
    imageId: v.LaunchTemplateData?.ImageId,
    profile: v.LaunchTemplateData?.IamInstanceProfile?.Name,
  })).sort((a, b) => (a.version ?? 0) - (b.version ?? 0));
}

/** Polls as Step Functions would: the handle goes through JSON between invocations. */
export async function pollToEnd(handle: TemplateRolloutHandle) {
  const seen = [];
  for (let i = 0; i < 10; i++) {
    const progress = await pollTemplateRollout(JSON.parse(JSON.stringify(handle)));
    seen.push(progress);
    if (progress.status !== 'in-progress') return seen;
  }
  throw new Error(`still in progress after 10 polls: ${JSON.stringify(seen)}`);
}
