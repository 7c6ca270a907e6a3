import { z } from 'zod';
import { withObservability } from '../shared/powertools';
import { handleSecretResource } from './secret-resource';

const requestSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url({ protocol: /^https?$/ }),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  ResourceProperties: z.object({ SecretName: z.string().min(1).max(512) }),
});

/** The webhook secret's custom resource (Custom::DrpilotWebhookSecret); see secret-resource.ts. */
export const handler = withObservability(
  'aks-secret',
  async (event: unknown, _context, { logger }) => {
    const { ResourceProperties, ...request } = requestSchema.parse(event);
    const result = await handleSecretResource(
      { ...request, SecretName: ResourceProperties.SecretName },
      process.env.AWS_REGION ?? 'us-east-1',
    );
    logger.info('webhook secret', { request: request.RequestType, result });
    return result;
  },
);
