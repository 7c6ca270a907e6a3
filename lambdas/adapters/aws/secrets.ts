import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from './sdk-clients/secrets-manager';

/** A secret's string value (a binary-only secret reads as empty). */
export async function readSecretString(region: string, secretId: string): Promise<string> {
  const { SecretString } = await secretsManagerClient(region).send(
    new GetSecretValueCommand({ SecretId: secretId }),
  );
  return SecretString ?? '';
}
