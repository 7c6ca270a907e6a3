import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  LaunchTemplateErrorCode,
} from '@aws-sdk/client-ec2';

const ec2Error = (name: string, message: string) =>
  Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

/**
 * Two launch-template rules EC2 documents and moto 5.2.5 lacks, encoded in front of moto:
 * - CreateLaunchTemplateVersion with SourceVersion: the new version inherits the source's launch
 *   parameters, and those given in LaunchTemplateData overwrite them (moto ignores SourceVersion,
 *   so a copy with only a new InstanceType would lose its AMI);
 * - DeleteLaunchTemplateVersions (moto has no such action): a deleted version is gone from
 *   DescribeLaunchTemplateVersions; the default version cannot be deleted.
 */
export class LaunchTemplateVersionsFake {
  /** `<template id>#<version>` of every deleted version. */
  readonly deleted = new Set<string>();

  install(ec2: EC2Client, region: string): void {
    const moto = new EC2Client({ region });
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, any>;
        switch (context.commandName) {
          case 'CreateLaunchTemplateVersionCommand': {
            if (!input.SourceVersion || input.DryRun) return next(args);
            const { LaunchTemplateVersions = [] } = await moto.send(
              new DescribeLaunchTemplateVersionsCommand({
                LaunchTemplateId: input.LaunchTemplateId,
                LaunchTemplateName: input.LaunchTemplateName,
                Versions: [input.SourceVersion],
              }),
            );
            const source = LaunchTemplateVersions[0]?.LaunchTemplateData ?? {};
            const merged: Record<string, any> = {
              ...input,
              LaunchTemplateData: { ...source, ...input.LaunchTemplateData },
            };
            delete merged.SourceVersion;
            return next({ ...args, input: merged });
          }
          case 'DeleteLaunchTemplateVersionsCommand':
            return { output: (await this.delete(moto, input)) as any, response: {} };
          case 'DescribeLaunchTemplateVersionsCommand': {
            const gone = (input.Versions ?? []).find((v: string) =>
              this.deleted.has(`${input.LaunchTemplateId}#${v}`),
            );
            if (gone) {
              throw ec2Error(
                'InvalidLaunchTemplateId.VersionNotFound',
                `Could not find the specified version ${gone} for the launch template with ID ${input.LaunchTemplateId}.`,
              );
            }
            const result = await next(args);
            const output = result.output as Record<string, any>;
            output.LaunchTemplateVersions = (output.LaunchTemplateVersions ?? []).filter(
              (v: any) => !this.deleted.has(`${v.LaunchTemplateId}#${v.VersionNumber}`),
            );
            return result;
          }
          default:
            return next(args);
        }
      },
      { step: 'initialize', name: 'launchTemplateVersionsFake' },
    );
  }

  private async delete(moto: EC2Client, input: Record<string, any>) {
    const { LaunchTemplates = [] } = await moto.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [input.LaunchTemplateId] }),
    );
    const template = LaunchTemplates[0];
    const successful: unknown[] = [];
    const unsuccessful: unknown[] = [];
    for (const version of input.Versions as string[]) {
      const key = `${input.LaunchTemplateId}#${version}`;
      const number = Number(version);
      const base = {
        LaunchTemplateId: input.LaunchTemplateId,
        LaunchTemplateName: template?.LaunchTemplateName,
        VersionNumber: number,
      };
      const exists =
        template !== undefined &&
        Number.isInteger(number) &&
        number >= 1 &&
        number <= (template.LatestVersionNumber ?? 0) &&
        !this.deleted.has(key);
      if (!exists) {
        unsuccessful.push({
          ...base,
          ResponseError: {
            Code: LaunchTemplateErrorCode.LAUNCH_TEMPLATE_VERSION_DOES_NOT_EXIST,
            Message: `version ${version} does not exist`,
          },
        });
      } else if (number === template.DefaultVersionNumber) {
        unsuccessful.push({
          ...base,
          ResponseError: {
            Code: LaunchTemplateErrorCode.UNEXPECTED_ERROR,
            Message: "You can't delete the default version of a launch template",
          },
        });
      } else {
        this.deleted.add(key);
        successful.push(base);
      }
    }
    return {
      SuccessfullyDeletedLaunchTemplateVersions: successful,
      UnsuccessfullyDeletedLaunchTemplateVersions: unsuccessful,
      $metadata: {},
    };
  }
}
