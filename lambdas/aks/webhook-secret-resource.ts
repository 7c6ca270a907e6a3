import { z } from 'zod';
import { secretsManagerClient } from '../adapters/aws/clients';
import { ensureSecret } from '../adapters/aws/webhook-secret';
import { sendCustomResourceResponse } from '../adapters/http/cfn-response';
import { generateWebhookSecret } from '../core/aks/signature';
import { withObservability } from '../shared/powertools';

const requestSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url({ protocol: /^https?$/ }),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({ SecretName: z.string().min(1).max(512) }),
});

/**
 * The webhook secret's custom resource: on Create and Update, creates `azure.secretName` with a
 * generated value unless a secret of that name exists (an existing value is never read or
 * changed); on Delete, leaves it (the Function app's Key Vault holds the same value). Always
 * answers CloudFormation, FAILED with the reason when something went wrong.
 */
export const handler = withObservability(
  'aks-secret',
  async (event: unknown, _context, { logger }) => {
    const request = requestSchema.parse(event);
    const name = request.ResourceProperties.SecretName;
    const answer = {
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
      PhysicalResourceId: name,
    };
    try {
      if (request.RequestType === 'Delete') {
        await sendCustomResourceResponse(request.ResponseURL, {
          ...answer,
          Status: 'SUCCESS',
          Reason: `secret ${name} retained`,
        });
        return { retained: name };
      }
      const region = process.env.AWS_REGION ?? 'us-east-1';
      const ensured = await ensureSecret(
        secretsManagerClient(region),
        name,
        'drpilot: HMAC key of the AWS-to-Azure events; put the same value into the Function app Key Vault',
        generateWebhookSecret,
      );
      logger.info(ensured.created ? 'secret created' : 'secret exists; left as it is', { name });
      await sendCustomResourceResponse(request.ResponseURL, {
        ...answer,
        Status: 'SUCCESS',
        Data: { SecretArn: ensured.arn, Created: String(ensured.created) },
      });
      return ensured;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await sendCustomResourceResponse(request.ResponseURL, {
        ...answer,
        Status: 'FAILED',
        Reason: reason.slice(0, 1000),
      });
      return { failed: reason };
    }
  },
);
