/**
 * The TLS check before a switch: the target's endpoint (a local HTTPS server on 127.0.0.1),
 * asked with SNI = the main name, must present a certificate that is trusted, valid now and
 * whose SANs cover the main name. Route 53 health checks never validate certificates; this does.
 */
import { describe, expect, it } from 'vitest';
import {
  issueExpiredCertificate,
  issueNotYetValidCertificate,
  issueUntrustedCertificate,
  issueValidCertificate,
  issueWrongSanCertificate,
  type DrillCa,
} from '../../cli/embedded/tls/drill-certificates';
import type { TlsEndpointOptions } from '../../cli/embedded/tls/local-tls-endpoint';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import { runSwitch } from '../../lambdas/dns/run-switch';
import { countCommands, useDnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';

useMoto();
const seed = useDnsEstate();

const SANS = ['dr.example.com', 'main.example.com'];

const BAD_CERTIFICATES: {
  name: string;
  make: (ca: DrillCa) => Promise<TlsEndpointOptions>;
  detail: RegExp;
}[] = [
  {
    name: 'wrong SAN (covers dr.example.com only)',
    make: (ca) => issueWrongSanCertificate(ca, ['dr.example.com', 'www.example.com']),
    detail:
      /^dr endpoint dr\.example\.com with SNI main\.example\.com: certificate for dr\.example\.com does not cover main\.example\.com \(SANs: dr\.example\.com, www\.example\.com\)$/,
  },
  {
    name: 'expired',
    make: (ca) => issueExpiredCertificate(ca, SANS),
    detail:
      /^dr endpoint dr\.example\.com with SNI main\.example\.com: certificate expired \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
  },
  {
    name: 'not yet valid',
    make: (ca) => issueNotYetValidCertificate(ca, SANS),
    detail: /with SNI main\.example\.com: certificate not valid before \d{4}-/,
  },
  {
    name: 'untrusted (signed by a CA nobody trusts, served with its chain)',
    make: () => issueUntrustedCertificate(SANS),
    detail:
      /^dr endpoint dr\.example\.com with SNI main\.example\.com: untrusted certificate: self-signed certificate in certificate chain$/,
  },
];

describe('DNS switch: the TLS check on the target endpoint', () => {
  it.each(BAD_CERTIFICATES)(
    'dr serves a certificate that is $name → refused with the tls-san detail, record untouched',
    async ({ make, detail }) => {
      const estate = await seed({ certificates: { dr: make } });
      const requests = countCommands(route53Client());
      const result = await runSwitch(estate.config, estate.options());

      expect(result).toMatchObject({ outcome: 'refused', to: 'dr', changeId: null });
      const tls = result.checks.find((c) => c.name === 'tls-san')!;
      expect(tls.ok).toBe(false);
      expect(tls.detail).toMatch(detail);
      // The TLS check is the only failure, and the reason names it.
      expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['tls-san']);
      expect(result.reason).toBe(
        `refusing to fail over main.example.com to dr: tls-san (${tls.detail})`,
      );
      expect(estate.endpoints.dr.serverNames).toEqual(['main.example.com']);
      expect(requests.sent.ChangeResourceRecordSets ?? 0).toBe(0);
      expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
      const [audited] = await estate.store().recentAudit('dns');
      expect(audited).toMatchObject({ outcome: 'refused', reason: result.reason });
    },
  );

  it('the drill CA left out of dns.checks.caBundle: even a good certificate is untrusted → refused', async () => {
    const estate = await seed({ trustDrillCa: false });
    const result = await runSwitch(estate.config, estate.options());
    expect(result.outcome).toBe('refused');
    expect(result.checks.find((c) => c.name === 'tls-san')!.detail).toMatch(
      /untrusted certificate: unable to (get local issuer certificate|verify the first certificate)/,
    );
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
  });

  it('a drill also asks for the MAIN name: a certificate covering only the drill name is refused', async () => {
    const estate = await seed({
      certificates: {
        dr: (ca) => issueValidCertificate(ca, ['dr.example.com', 'drill.example.com']),
      },
    });
    const result = await runSwitch(estate.config, estate.options({ drill: true }));
    expect(result).toMatchObject({ outcome: 'refused', recordName: 'drill.example.com' });
    expect(result.checks.find((c) => c.name === 'tls-san')!.detail).toMatch(
      /does not cover main\.example\.com/,
    );
    expect(await estate.record('drill.example.com')).toEqual({
      target: 'primary.example.com',
      ttl: 30,
    });
  });

  it('an endpoint the resolver cannot find → refused, naming the name', async () => {
    const estate = await seed();
    const result = await runSwitch(
      estate.config,
      estate.options({
        resolver: async (hostname) => {
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
          });
        },
      }),
    );
    expect(result.outcome).toBe('refused');
    expect(result.checks.find((c) => c.name === 'tls-san')!.detail).toBe(
      'dr endpoint dr.example.com with SNI main.example.com: could not resolve dr.example.com: ENOTFOUND',
    );
  });

  it('--force overrides a failed TLS check: switched, forced, and the finding kept in checks and the audit', async () => {
    const estate = await seed({
      certificates: { dr: (ca) => issueWrongSanCertificate(ca, ['dr.example.com']) },
    });
    const result = await runSwitch(estate.config, estate.options({ force: true }));
    expect(result).toMatchObject({ outcome: 'switched', forced: true, from: 'primary', to: 'dr' });
    expect(result.checks.find((c) => c.name === 'tls-san')).toMatchObject({
      ok: false,
      skipped: true,
      detail: expect.stringMatching(/^skipped by --force: .*does not cover main\.example\.com/),
    });
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
    const [audited] = await estate.store().recentAudit('dns');
    expect(audited).toMatchObject({ outcome: 'switched', forced: true });
  });
});
