import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/**
 * The HMAC key shared with the Function app (`azure.secretName`), read once per container: a warm
 * Lambda signs without a Secrets Manager call. A 401 from the AKS side drops the cached value, so
 * a secret rotated in both places is picked up by the next attempt.
 */
const cache = new Map<string, string>();

export async function readWebhookSecret(
  secretsManager: SecretsManagerClient,
  secretName: string,
): Promise<string> {
  const cached = cache.get(secretName);
  if (cached !== undefined) return cached;
  const { SecretString } = await secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretName }),
  );
  const value = SecretString?.trim();
  if (!value) throw new Error(`secret ${secretName} holds no string value`);
  cache.set(secretName, value);
  return value;
}

export function forgetWebhookSecret(secretName?: string): void {
  if (secretName === undefined) cache.clear();
  else cache.delete(secretName);
}

export type EnsuredSecret = { arn: string; created: boolean };

/**
 * Creates the secret with `generate()` as its value unless a secret of that name exists; an
 * existing one is never read or changed. Two deployments racing: the loser sees
 * ResourceExistsException and keeps the winner's value.
 */
export async function ensureSecret(
  secretsManager: SecretsManagerClient,
  secretName: string,
  description: string,
  generate: () => string,
): Promise<EnsuredSecret> {
  const existing = await describe(secretsManager, secretName);
  if (existing) return { arn: existing, created: false };
  try {
    const { ARN } = await secretsManager.send(
      new CreateSecretCommand({
        Name: secretName,
        Description: description,
        SecretString: generate(),
      }),
    );
    return { arn: ARN ?? '', created: true };
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    return { arn: (await describe(secretsManager, secretName)) ?? '', created: false };
  }
}

async function describe(
  secretsManager: SecretsManagerClient,
  secretName: string,
): Promise<string | null> {
  try {
    const { ARN } = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretName }));
    return ARN ?? null;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}
