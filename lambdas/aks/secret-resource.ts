import { secretsManagerClient } from '../adapters/aws/sdk-clients/secrets-manager';
import { ensureSecret } from '../adapters/aws/webhook-secret';
import {
  sendCustomResourceResponse,
  type CustomResourceResponse,
} from '../adapters/http/cfn-response';
import { generateWebhookSecret } from '../core/aks/signature';

export interface SecretResourceRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  SecretName: string;
}

/**
 * Carries out one request of the webhook secret's custom resource and always answers
 * CloudFormation: Create and Update make the secret with a generated value unless it exists
 * (an existing value is never read or changed); Delete leaves it (the Function app's Key Vault
 * holds the same value). Anything that fails is answered FAILED with the reason.
 */
export async function handleSecretResource(
  request: SecretResourceRequest,
  region: string,
): Promise<{ created: boolean } | { retained: string } | { failed: string }> {
  const name = request.SecretName;
  const answer: Omit<CustomResourceResponse, 'Status'> = {
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
    const ensured = await ensureSecret(
      secretsManagerClient(region),
      name,
      'drpilot: HMAC key of the AWS-to-Azure events; put the same value into the Function app Key Vault',
      generateWebhookSecret,
    );
    await sendCustomResourceResponse(request.ResponseURL, {
      ...answer,
      Status: 'SUCCESS',
      Data: { SecretArn: ensured.arn, Created: String(ensured.created) },
    });
    return { created: ensured.created };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await sendCustomResourceResponse(request.ResponseURL, {
      ...answer,
      Status: 'FAILED',
      Reason: reason.slice(0, 1000),
    });
    return { failed: reason };
  }
}
