import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from '../support/example-config';

describe('approval mode in the config', () => {
  it('defaults: dns.mode auto, requests approvable for 3600 s, no resize share', () => {
    const result = validateConfig(exampleConfig());
    expect(result.ok && result.config.dns).toMatchObject({
      mode: 'auto',
      approvalTtlSeconds: 3600,
    });
    expect(result.ok && result.config.nodeGroups[0]!.approveAboveShare).toBeUndefined();
  });

  it.each([
    ['dns.mode', (c: any) => (c.dns.mode = 'manual'), 'expected "auto" or "approve", got "manual"'],
    [
      'dns.approvalTtlSeconds',
      (c: any) => (c.dns.approvalTtlSeconds = 30),
      'expected between 60 and 604800 seconds, got 30',
    ],
    [
      'nodeGroups[0].approveAboveShare',
      (c: any) => (c.nodeGroups[0].approveAboveShare = 1.5),
      'expected a share of the nodes from 0 to 1, got 1.5',
    ],
  ])('%s: a bad value names the field', (path, mutate, message) => {
    const config = exampleConfig() as any;
    mutate(config);
    const result = validateConfig(config);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([{ path, message }]);
  });
});
