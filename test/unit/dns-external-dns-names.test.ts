import { createCipheriv, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import {
  classifyExternalDnsTxtValue,
  externalDnsOwnershipNames,
  externalDnsTxtName,
  isExternalDnsOwnership,
  txtText,
} from '../../lambdas/core/dns/external-dns-names';

const none = { txtPrefix: '', txtSuffix: '' };

describe('externalDnsOwnershipNames (registry/mapper/mapper.go ToTXTName)', () => {
  it.each([
    [
      'no prefix or suffix: the name itself (old format) and <type>- names',
      'main.example.com',
      none,
      ['main.example.com', 'cname-main.example.com', 'a-main.example.com', 'aaaa-main.example.com'],
    ],
    [
      'a plain prefix goes before the <type>- label',
      'main.example.com',
      { txtPrefix: 'txt-', txtSuffix: '' },
      [
        'txt-main.example.com',
        'txt-cname-main.example.com',
        'txt-a-main.example.com',
        'txt-aaaa-main.example.com',
      ],
    ],
    [
      'a prefix ending in a dot makes its own label',
      'main.example.com',
      { txtPrefix: 'reg.', txtSuffix: '' },
      [
        'reg.main.example.com',
        'reg.cname-main.example.com',
        'reg.a-main.example.com',
        'reg.aaaa-main.example.com',
      ],
    ],
    [
      'a prefix with %{record_type}: the type goes in the prefix, not before the label',
      'main.example.com',
      { txtPrefix: 'extdns-%{record_type}-', txtSuffix: '' },
      [
        'extdns--main.example.com',
        'extdns-cname-main.example.com',
        'extdns-a-main.example.com',
        'extdns-aaaa-main.example.com',
      ],
    ],
    [
      'the docs example --txt-prefix="%{record_type}-abc-."',
      'www.ex.com',
      { txtPrefix: '%{record_type}-abc-.', txtSuffix: '' },
      ['-abc-.www.ex.com', 'cname-abc-.www.ex.com', 'a-abc-.www.ex.com', 'aaaa-abc-.www.ex.com'],
    ],
    [
      'a templated prefix that leaves an empty label for the old format drops that name',
      'main.example.com',
      { txtPrefix: '%{record_type}.', txtSuffix: '' },
      ['cname.main.example.com', 'a.main.example.com', 'aaaa.main.example.com'],
    ],
    [
      'a suffix lands on the first label',
      'main.example.com',
      { txtPrefix: '', txtSuffix: '-txt' },
      [
        'main-txt.example.com',
        'cname-main-txt.example.com',
        'a-main-txt.example.com',
        'aaaa-main-txt.example.com',
      ],
    ],
    [
      'a suffix with %{record_type}',
      'main.example.com',
      { txtPrefix: '', txtSuffix: '-%{record_type}' },
      [
        'main-.example.com',
        'main-cname.example.com',
        'main-a.example.com',
        'main-aaaa.example.com',
      ],
    ],
    [
      'the docs example --txt-suffix="-.%{record_type}"',
      'www.ex.com',
      { txtPrefix: '', txtSuffix: '-.%{record_type}' },
      // the old format would be "www-..ex.com": an empty label, left out
      ['www-.cname.ex.com', 'www-.a.ex.com', 'www-.aaaa.ex.com'],
    ],
    [
      'names and affixes are lower-cased, a trailing dot dropped',
      'Main.Example.COM.',
      { txtPrefix: 'TXT-', txtSuffix: '' },
      [
        'txt-main.example.com',
        'txt-cname-main.example.com',
        'txt-a-main.example.com',
        'txt-aaaa-main.example.com',
      ],
    ],
    [
      'a wildcard keeps its * without --txt-wildcard-replacement',
      '*.example.com',
      none,
      ['*.example.com', 'cname-*.example.com', 'a-*.example.com', 'aaaa-*.example.com'],
    ],
    [
      'a wildcard with --txt-wildcard-replacement',
      '*.example.com',
      { ...none, wildcardReplacement: 'wildcard' },
      [
        'wildcard.example.com',
        'cname-wildcard.example.com',
        'a-wildcard.example.com',
        'aaaa-wildcard.example.com',
      ],
    ],
    [
      'a single-label name',
      'localhost',
      { txtPrefix: '', txtSuffix: '-x' },
      ['localhost-x', 'cname-localhost-x', 'a-localhost-x', 'aaaa-localhost-x'],
    ],
  ])('%s', (_title, name, affixes, expected) => {
    expect(externalDnsOwnershipNames(name, affixes)).toEqual(expected);
  });

  it('applies both affixes as ToTXTName does (external-dns itself refuses both set)', () => {
    expect(
      externalDnsTxtName('main.example.com', 'CNAME', { txtPrefix: 'p-', txtSuffix: '-s' }),
    ).toBe('p-cname-main-s.example.com');
  });

  it('never lists a name twice', () => {
    const names = externalDnsOwnershipNames('main.example.com', {
      txtPrefix: '%{record_type}-',
      txtSuffix: '',
    });
    expect(new Set(names).size).toBe(names.length);
  });
});

/** As endpoint/crypto.go EncryptText: base64(nonce ‖ AES-256-GCM(gzip(text)) ‖ tag). */
function encryptLikeExternalDns(text: string): string {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(gzipSync(text, { level: 9 })), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

describe('isExternalDnsOwnership (endpoint/labels.go NewLabelsFromStringPlain)', () => {
  it.each([
    ['"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/a/b"', true],
    ['heritage=external-dns,external-dns/owner=x', true],
    ['"external-dns/owner=x,heritage=external-dns"', true],
    ['"heritage=external-" "dns,external-dns/owner=x"', true],
    ['"heritage=other,external-dns/owner=x"', false],
    ['"heritage=external-dns,heritage=other"', false],
    ['"external-dns/owner=x"', false],
    ['"v=spf1 include:_spf.example.com ~all"', false],
    ['"google-site-verification=abcDEF123"', false],
    ['"heritage=external-dnsx"', false],
    ['""', false],
  ])('%s → %s', (value, owned) => {
    expect(isExternalDnsOwnership([value])).toBe(owned);
  });

  it('is true when any of several values claims ownership', () => {
    expect(isExternalDnsOwnership(['"v=spf1 -all"', '"heritage=external-dns"'])).toBe(true);
    expect(isExternalDnsOwnership([])).toBe(false);
  });

  it('recognises the shape of --txt-encrypt-enabled values, which need the key to read', () => {
    const value = `"${encryptLikeExternalDns('heritage=external-dns,external-dns/owner=default')}"`;
    expect(classifyExternalDnsTxtValue(value)).toBe('maybe-encrypted');
    expect(isExternalDnsOwnership([value])).toBe(true);
    expect(isExternalDnsOwnership([value], { encrypted: false })).toBe(false);
  });

  it('does not take a short base64 token for an encrypted value', () => {
    expect(classifyExternalDnsTxtValue('"dGVzdA=="')).toBe('other');
  });

  it('unescapes zone-file presentation', () => {
    expect(txtText('"a\\"b" "c\\\\d" "\\065"')).toBe('a"bc\\dA');
    expect(txtText('plain')).toBe('plain');
  });
});
