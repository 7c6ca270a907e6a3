/**
 * The guard against external-dns: when an external-dns instance owns the main name (an Ingress
 * that lists it), its next sync rewrites whatever drpilot wrote, so drpilot refuses — even with
 * --force — when an ownership TXT record exists under any of external-dns's naming schemes.
 */
import { describe, expect, it } from 'vitest';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { runSwitch } from '../../lambdas/dns/run-switch';
import { countCommands, useDnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';
import { upsertRecord } from '../../cli/embedded/seed-dns';

useMoto();
const seed = useDnsEstate();

const OWNED =
  '"heritage=external-dns,external-dns/owner=acme-primary,external-dns/resource=ingress/app/web"';

const putTxt = (config: DrpilotConfig, name: string, value: string) =>
  upsertRecord(route53Client(), config.dns.hostedZoneId, { name, type: 'TXT', ttl: 300, value });

const SCHEMES: { scheme: string; txtPrefix: string; txtSuffix: string; txtName: string }[] = [
  {
    scheme: 'the name itself (old registry format)',
    txtPrefix: '',
    txtSuffix: '',
    txtName: 'main.example.com',
  },
  { scheme: 'cname-<name>', txtPrefix: '', txtSuffix: '', txtName: 'cname-main.example.com' },
  {
    scheme: 'a-<name> (an ALIAS, external-dns v0.22+)',
    txtPrefix: '',
    txtSuffix: '',
    txtName: 'a-main.example.com',
  },
  {
    scheme: 'configured txtPrefix extdns-',
    txtPrefix: 'extdns-',
    txtSuffix: '',
    txtName: 'extdns-cname-main.example.com',
  },
  {
    scheme: 'configured txtPrefix extdns-, old format',
    txtPrefix: 'extdns-',
    txtSuffix: '',
    txtName: 'extdns-main.example.com',
  },
  {
    scheme: 'configured txtSuffix -owner (on the first label)',
    txtPrefix: '',
    txtSuffix: '-owner',
    txtName: 'cname-main-owner.example.com',
  },
  {
    scheme: 'a %{record_type} prefix',
    txtPrefix: '%{record_type}-reg-',
    txtSuffix: '',
    txtName: 'cname-reg-main.example.com',
  },
  {
    scheme: 'a %{record_type} suffix',
    txtPrefix: '',
    txtSuffix: '-%{record_type}',
    txtName: 'main-cname.example.com',
  },
];

describe('DNS switch: external-dns ownership of the main name', () => {
  it.each(SCHEMES)(
    'a heritage=external-dns TXT at $txtName ($scheme) → refused, even with --force; record untouched',
    async ({ txtPrefix, txtSuffix, txtName }) => {
      const estate = await seed();
      const config = structuredClone(estate.config);
      config.dns.externalDns = { txtPrefix, txtSuffix };
      await putTxt(config, txtName, OWNED);
      const requests = countCommands(route53Client());

      for (const force of [false, true]) {
        const result = await runSwitch(config, estate.options({ force }));
        expect(result.outcome, `force ${force}`).toBe('refused');
        const check = result.checks.find((c) => c.name === 'external-dns')!;
        expect(check).toEqual({
          name: 'external-dns',
          ok: false,
          detail: expect.stringContaining(
            `external-dns claims main.example.com (TXT ${txtName} "heritage=external-dns,`,
          ),
        });
        expect(check.detail).toMatch(/--force does not override this/);
        expect(result.reason).toMatch(/external-dns \(external-dns claims main\.example\.com/);
        // Without force the other checks pass; with force nothing else was failing to skip.
        expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['external-dns']);
        expect(result.forced).toBe(false);
      }
      expect(requests.sent.ChangeResourceRecordSets ?? 0).toBe(0);
      expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    },
  );

  it('an encrypted external-dns TXT (--txt-encrypt-enabled) at cname-<name> → refused', async () => {
    const estate = await seed();
    // base64(nonce ‖ AES-GCM(gzip(labels))): opaque, long enough to be one.
    const encrypted = Buffer.alloc(64, 7).toString('base64');
    await putTxt(estate.config, 'cname-main.example.com', `"${encrypted}"`);
    const result = await runSwitch(estate.config, estate.options({ force: true }));
    expect(result.outcome).toBe('refused');
    expect(result.checks.find((c) => c.name === 'external-dns')!.ok).toBe(false);
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
  });

  it('TXT records that are not external-dns ownership do not block: SPF at the name, another heritage at cname-<name>', async () => {
    const estate = await seed();
    await putTxt(estate.config, 'main.example.com', '"v=spf1 -all"');
    await putTxt(
      estate.config,
      'cname-main.example.com',
      '"heritage=someone-else,external-dns/owner=acme"',
    );
    const result = await runSwitch(estate.config, estate.options());
    expect(result.checks.find((c) => c.name === 'external-dns')).toEqual({
      name: 'external-dns',
      ok: true,
      detail: 'no external-dns ownership TXT record for main.example.com',
    });
    expect(result.outcome).toBe('switched');
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
  });

  it('the endpoints’ own external-dns TXT records (primary./dr.) do not count as owning the main name', async () => {
    // The seeded zone has heritage=external-dns TXT records at primary.example.com and
    // dr.example.com (external-dns publishes the endpoints): they must not block.
    const estate = await seed();
    const result = await runSwitch(estate.config, estate.options());
    expect(result.outcome).toBe('switched');
  });
});
