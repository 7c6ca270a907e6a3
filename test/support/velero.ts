import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createStateTable } from '../../cli/embedded/state-table';
import { seedDns } from '../../cli/embedded/seed-dns';
import { veleroBinaries, type VeleroBinaries } from '../../cli/emulator/velero-server-binaries';
import {
  dynamoDbClient,
  route53Client,
  s3Client,
  secretsManagerClient,
} from '../../lambdas/adapters/aws/clients';
import type { RestoreDrillConfig } from '../../lambdas/core/config/restore-drill-schema';
import { SIDES, type DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from './example-config';

/**
 * The Velero binaries `npm test` installed (scripts/setup-velero-server.sh, from the shared
 * tarball or a build); a test never builds them.
 */
export function veleroForTests(): Promise<VeleroBinaries> {
  return veleroBinaries({ build: false, quiet: true });
}

/** The example config with the restore drill's settings replaced by `drill`. */
export function configWithRestoreDrill(drill: Partial<RestoreDrillConfig>): DrpilotConfig {
  const document = exampleConfig();
  document['backups'].restoreDrill = { ...document['backups'].restoreDrill, ...drill };
  const result = validateConfig(document);
  if (!result.ok) throw new Error(`config is invalid: ${JSON.stringify(result.errors)}`);
  return result.config;
}

/**
 * What the restore drill needs in moto: the zone with the main record on primary (the re-sync's
 * direction), the state table, both Velero buckets and the DR cluster's kubeconfig secret.
 * Returns the config with moto's hosted zone id.
 */
export async function seedRestoreEstate(
  config: DrpilotConfig,
  drKubeconfig: string,
): Promise<DrpilotConfig> {
  const { hostedZoneId } = await seedDns(route53Client(), config);
  await createStateTable(dynamoDbClient(config.controlRegion), config.stateTable);
  for (const side of SIDES) {
    const { bucket, region } = config.backups.buckets[side];
    await s3Client(region).send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: region as never },
      }),
    );
  }
  const drill = config.backups.restoreDrill;
  if (drill) {
    await secretsManagerClient(config.clusters.dr.region).send(
      new CreateSecretCommand({ Name: drill.kubeconfigSecret, SecretString: drKubeconfig }),
    );
  }
  return { ...config, dns: { ...config.dns, hostedZoneId } };
}
