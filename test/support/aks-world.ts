import { afterAll, beforeAll } from 'vitest';
import { dynamoDbClient } from '../../lambdas/adapters/aws/clients';
import { forgetWebhookSecret } from '../../lambdas/adapters/aws/webhook-secret';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { startAksReceiver, type LocalAksReceiver } from '../../cli/embedded/aks-receiver';
import { attachAksSide } from '../../cli/embedded/seed-aks';
import { createStateTable } from '../../cli/embedded/state-table';
import { exampleConfig } from './example-config';

export const AKS_SECRET = 'test-webhook-secret-0123456789abcdef';

export interface AksWorld {
  config: DrpilotConfig;
  receiver: LocalAksReceiver;
}

/**
 * One local AKS receiver for the file (started in beforeAll) and, per test, a fresh emulated
 * world (moto is reset before each test): the state table, both inbound endpoints, the webhook
 * secret and the tunnel alarms, with the example config pointed at the receiver.
 */
export function useAksWorld(): () => Promise<AksWorld> {
  let receiver: LocalAksReceiver | undefined;
  beforeAll(async () => {
    receiver = await startAksReceiver(AKS_SECRET);
  });
  afterAll(async () => {
    await receiver?.close();
  });
  return async () => {
    if (!receiver) throw new Error('the receiver is not running');
    receiver.events.splice(0);
    receiver.requests.splice(0);
    receiver.setDown(false);
    receiver.setSecret(AKS_SECRET);
    receiver.setClock(() => new Date());
    forgetWebhookSecret();
    const result = validateConfig(exampleConfig());
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const base = result.config;
    await createStateTable(dynamoDbClient(base.controlRegion), base.stateTable);
    const { config } = await attachAksSide(base, base.azure!, receiver, AKS_SECRET);
    return { config, receiver };
  };
}
