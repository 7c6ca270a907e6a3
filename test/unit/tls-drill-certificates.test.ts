import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createDrillCa,
  issueCertificate,
  issueExpiredCertificate,
  issueNotYetValidCertificate,
  issueUntrustedCertificate,
} from '../../cli/embedded/tls/drill-certificates';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('drill certificates', () => {
  it('makes a self-signed ECDSA P-256 CA valid for one day', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const ca = await createDrillCa({ now });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=drpilot drill CA');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(new Date(cert.validTo).getTime() - now.getTime()).toBe(DAY_MS);
    expect(createPrivateKey(ca.keyPem).asymmetricKeyType).toBe('ec');
  });

  it('issues leaves signed by the CA with exactly the SANs and validity asked for', async () => {
    const ca = await createDrillCa();
    const notBefore = new Date('2026-03-01T00:00:00Z');
    const notAfter = new Date('2026-03-02T00:00:00Z');
    const issued = await issueCertificate(ca, {
      commonName: 'main.example.com',
      sans: ['main.example.com', 'dr.example.com', '127.0.0.1'],
      notBefore,
      notAfter,
    });
    const leaf = new X509Certificate(issued.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe(
      'DNS:main.example.com, DNS:dr.example.com, IP Address:127.0.0.1',
    );
    expect(leaf.checkHost('main.example.com')).toBe('main.example.com');
    expect(new Date(leaf.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(leaf.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(leaf.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
  });

  it('makes the bad certificates: expired, not yet valid, untrusted', async () => {
    const now = new Date();
    const ca = await createDrillCa({ now });
    const expired = new X509Certificate(
      (await issueExpiredCertificate(ca, ['main.example.com'], { now })).certPem,
    );
    expect(new Date(expired.validTo).getTime()).toBeLessThan(now.getTime());
    const early = new X509Certificate(
      (await issueNotYetValidCertificate(ca, ['main.example.com'], { now })).certPem,
    );
    expect(new Date(early.validFrom).getTime()).toBeGreaterThan(now.getTime());

    const untrusted = await issueUntrustedCertificate(['main.example.com'], now);
    const leaf = new X509Certificate(untrusted.certPem);
    expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(false);
    expect(leaf.checkIssued(new X509Certificate(untrusted.caPem))).toBe(true);
  });
});
