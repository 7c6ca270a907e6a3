/**
 * The credential chain inside drpilot's Lambda bundles: lib/lambda-bundling.ts aliases
 * `@aws-sdk/credential-provider-node` to this module there (the CLI and the tests keep the SDK's
 * full chain). Lambda hands a function its execution role's credentials as AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * The default chain's profile, SSO, INI, process and web-identity links can never answer there,
 * yet their code (with the STS/SSO/sign-in clients of @aws-sdk/nested-clients) is parsed at every
 * cold start. Container credentials stay as the default chain's remoteProvider reads them
 * (@aws-sdk/credential-provider-node/dist-es/remoteProvider.js), for a runtime that serves them.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { chain, CredentialsProviderError, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

const CONTAINER_CREDENTIALS = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
] as const;

/** As the default chain's `credentialsTreatedAsExpired`: refreshed five minutes before expiry. */
const expiresSoon = (credentials: AwsCredentialIdentity) =>
  credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
const expires = (credentials: AwsCredentialIdentity) => credentials.expiration !== undefined;

/** Same contract as `defaultProvider(init)` of @aws-sdk/credential-provider-node. */
export const defaultProvider = (init: { logger?: Logger } = {}): AwsCredentialIdentityProvider =>
  memoize(
    chain(fromEnv(init), async () => {
      if (!CONTAINER_CREDENTIALS.some((name) => process.env[name])) {
        throw new CredentialsProviderError(
          'No credentials in the environment: a Lambda function gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from its execution role',
          { logger: init.logger, tryNextLink: false },
        );
      }
      return fromHttp(init)();
    }),
    expiresSoon,
    expires,
  );
