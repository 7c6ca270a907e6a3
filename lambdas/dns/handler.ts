// Replaced in this session by the DNS failover handler; exists so the CDK construct can be built first.
export const handler = async (): Promise<unknown> => ({ outcome: 'noop' });
