import { startMotoServer } from './moto-server';
import { clearAwsClientCache } from '../../lambdas/adapters/aws/sdk-clients/cache';

const EMULATOR_ENV = {
  AWS_ACCESS_KEY_ID: 'embedded',
  AWS_SECRET_ACCESS_KEY: 'embedded',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};

/** Variables that would send requests elsewhere or sign them with someone's real identity. */
export function isLeakyAwsVariable(name: string): boolean {
  return (
    name.startsWith('AWS_ENDPOINT_URL_') ||
    [
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_ROLE_ARN',
    ].includes(name)
  );
}

/**
 * Points every AWS client of this process at `endpoint` with throwaway credentials; the returned
 * function puts the environment back. Used by the embedded drill and the test harness alike.
 */
export function pointAwsClientsAt(endpoint: string): () => void {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env))
    if (isLeakyAwsVariable(name)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, EMULATOR_ENV, { AWS_ENDPOINT_URL: endpoint });
  clearAwsClientCache();
  return () => {
    clearAwsClientCache();
    for (const name of Object.keys(process.env))
      if (!(name in saved)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, saved);
  };
}

export interface EmulatedAws {
  endpoint: string;
  close(): Promise<void>;
}

/** A fresh moto with this process pointed at it: the embedded drill never reaches a real account. */
export async function startEmulatedAws(): Promise<EmulatedAws> {
  const moto = await startMotoServer();
  const restore = pointAwsClientsAt(moto.endpoint);
  return {
    endpoint: moto.endpoint,
    async close() {
      restore();
      await moto.stop();
    },
  };
}
