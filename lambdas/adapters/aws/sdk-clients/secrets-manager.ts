import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientFor } from './cache';

export const secretsManagerClient = (region: string) => clientFor(SecretsManagerClient, region);
