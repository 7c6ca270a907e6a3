/**
 * Where external-dns records that it owns a name, so drpilot can refuse to write a record that
 * an external-dns instance (e.g. one publishing an Ingress that lists the main name) manages.
 *
 * Facts from kubernetes-sigs/external-dns (snapshot 2bf1bf8a, 2026-08; older tags named):
 * - registry/mapper/mapper.go `AffixNameMapper.ToTXTName(dns, recordType)`: the ownership TXT
 *   of `<first>.<rest>` is `<prefix><type>-<first><suffix>.<rest>` with the record type in lower
 *   case; when `--txt-prefix` or `--txt-suffix` contains `%{record_type}` the template is
 *   replaced by the type and no `<type>-` is added. Prefix and suffix are lower-cased, and the
 *   suffix lands on the first label (`www-txt.example.com`). The two flags are mutually
 *   exclusive (registry/txt/registry.go `newRegistry`); this module applies both if given.
 * - Old format (v0.12–v0.17, registry/txt.go `toTXTName` at v0.15.0): also `<prefix><first>
 *   <suffix>.<rest>` with `%{record_type}` dropped from the affixes — i.e. with no affix, the
 *   name itself. v0.18+ writes only the new format (#5172) but still reads the old one
 *   (registry/txt/registry.go `Records`: "Handle both new and old registry format"), so a
 *   cluster upgraded from an older external-dns can still own the name through it.
 * - Record types: a CNAME gets `cname-`; on Route 53, external-dns turns a CNAME to an AWS
 *   load balancer into an A (and AAAA for dual-stack) ALIAS. Before v0.22 an A ALIAS got
 *   `cname-`; from v0.22 (#6523) it gets `a-`, the legacy `cname-` still being honoured; AAAA
 *   always gets `aaaa-` (and never an old-format record). So `cname-`, `a-` and `aaaa-` cover
 *   every record external-dns can publish at a name that is (or should be) a CNAME.
 * - Wildcards: with `--txt-wildcard-replacement`, a leading `*` label is replaced by that
 *   string in the TXT name; without it the `*` stays (`cname-*.example.com`), a name most
 *   providers reject. drpilot's record names are plain host names (config forbids `*`), so this
 *   only matters for callers that pass a wildcard; pass `wildcardReplacement` to cover it.
 * - Only the TXT registry (the default) stores ownership in DNS; with `--registry=dynamodb` or
 *   `aws-sd` no TXT record exists and this guard cannot see the ownership.
 */

export interface ExternalDnsAffixes {
  /** external-dns `--txt-prefix`; may contain `%{record_type}`. */
  txtPrefix: string;
  /** external-dns `--txt-suffix`; may contain `%{record_type}`; applied to the first label. */
  txtSuffix: string;
  /** external-dns `--txt-wildcard-replacement`, when the name may start with `*`. */
  wildcardReplacement?: string;
}

/** Record types external-dns may publish at the main name (see the module comment). */
export const EXTERNAL_DNS_OWNED_TYPES = ['CNAME', 'A', 'AAAA'] as const;
export type ExternalDnsOwnedType = (typeof EXTERNAL_DNS_OWNED_TYPES)[number];

const RECORD_TYPE_TEMPLATE = '%{record_type}';

/**
 * The TXT name external-dns uses for `recordName`: new format for a record type, or the old
 * (type-less) format when `recordType` is null. Lower-case, without a trailing dot.
 */
export function externalDnsTxtName(
  recordName: string,
  recordType: ExternalDnsOwnedType | null,
  affixes: ExternalDnsAffixes,
): string {
  const name = recordName.toLowerCase().replace(/\.$/, '');
  const prefix = affixes.txtPrefix.toLowerCase();
  const suffix = affixes.txtSuffix.toLowerCase();
  const dot = name.indexOf('.');
  let first = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? null : name.slice(dot + 1);
  const replacement = affixes.wildcardReplacement?.toLowerCase() ?? '';
  if (replacement !== '' && first === '*') first = replacement;

  let head: string;
  if (recordType === null) {
    head = without(prefix) + first + without(suffix);
  } else {
    const type = recordType.toLowerCase();
    const templated =
      prefix.includes(RECORD_TYPE_TEMPLATE) || suffix.includes(RECORD_TYPE_TEMPLATE);
    head = fill(prefix, type) + (templated ? first : `${type}-${first}`) + fill(suffix, type);
  }
  return rest === null ? head : `${head}.${rest}`;
}

/**
 * Every TXT name under which external-dns records (or still recognises) ownership of
 * `recordName`: the old format first, then `cname-`, `a-`, `aaaa-` (or their templated
 * equivalents). Deduplicated; names with an empty label (a templated affix dropped for the old
 * format can leave one) are left out, since no record can exist there.
 */
export function externalDnsOwnershipNames(
  recordName: string,
  affixes: ExternalDnsAffixes,
): string[] {
  const names = [null, ...EXTERNAL_DNS_OWNED_TYPES].map((type) =>
    externalDnsTxtName(recordName, type, affixes),
  );
  return [...new Set(names)].filter((name) => name.split('.').every((label) => label !== ''));
}

function fill(affix: string, type: string): string {
  return affix.split(RECORD_TYPE_TEMPLATE).join(type);
}

function without(affix: string): string {
  return affix.split(RECORD_TYPE_TEMPLATE).join('');
}

// ---------------------------------------------------------------- TXT values

export type ExternalDnsTxtValueKind = 'external-dns' | 'maybe-encrypted' | 'other';

/** AES-GCM nonce (12) + tag (16) + the smallest gzip stream (20): endpoint/crypto.go. */
const MIN_ENCRYPTED_BYTES = 12 + 16 + 20;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * What one TXT value (as Route 53 returns it: one or more quoted strings, `"a" "b"`) says:
 * - `external-dns`: external-dns's label format with `heritage=external-dns`, parsed as
 *   endpoint/labels.go `NewLabelsFromStringPlain` does (comma-separated `key=value`; a
 *   `heritage` with any other value means not external-dns);
 * - `maybe-encrypted`: with `--txt-encrypt-enabled` external-dns stores
 *   base64(nonce ‖ AES-256-GCM(gzip(labels))) (endpoint/crypto.go `EncryptText`), which cannot
 *   be read without the key; a standard-base64 value long enough to be one is reported here;
 * - `other`: anything else.
 */
export function classifyExternalDnsTxtValue(value: string): ExternalDnsTxtValueKind {
  const text = txtText(value);
  if (hasExternalDnsHeritage(text)) return 'external-dns';
  if (looksEncrypted(text)) return 'maybe-encrypted';
  return 'other';
}

/**
 * True when one of the values claims external-dns ownership: plain labels with
 * `heritage=external-dns`, or — unless `encrypted: false` — a value shaped like external-dns's
 * encrypted labels. Encrypted values count by default because the names probed are
 * external-dns's own (`cname-main…`, `a-main…`), where an opaque base64 blob is almost surely
 * its record: refusing there costs a manual look, missing it costs a fight over the record.
 */
export function isExternalDnsOwnership(
  txtValues: readonly string[],
  options: { encrypted?: boolean } = {},
): boolean {
  const countEncrypted = options.encrypted ?? true;
  return txtValues.some((value) => {
    const kind = classifyExternalDnsTxtValue(value);
    return kind === 'external-dns' || (countEncrypted && kind === 'maybe-encrypted');
  });
}

function hasExternalDnsHeritage(text: string): boolean {
  let found = false;
  for (const token of text.split(',')) {
    const at = token.indexOf('=');
    if (at < 0) continue;
    if (token.slice(0, at) !== 'heritage') continue;
    if (token.slice(at + 1) !== 'external-dns') return false;
    found = true;
  }
  return found;
}

function looksEncrypted(text: string): boolean {
  if (!STD_BASE64.test(text)) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding >= MIN_ENCRYPTED_BYTES;
}

/**
 * The text of a TXT value in zone-file presentation (Route 53's form): the character strings
 * concatenated, `\"`, `\\` and `\DDD` unescaped. A value not starting with `"` is taken as is.
 */
export function txtText(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  let out = '';
  let i = 0;
  while (i < trimmed.length) {
    if (trimmed[i] !== '"') {
      i += 1; // whitespace between strings
      continue;
    }
    i += 1;
    while (i < trimmed.length && trimmed[i] !== '"') {
      const ch = trimmed[i] as string;
      if (ch === '\\' && /^\d{3}$/.test(trimmed.slice(i + 1, i + 4))) {
        out += String.fromCharCode(Number.parseInt(trimmed.slice(i + 1, i + 4), 10));
        i += 4;
      } else if (ch === '\\' && i + 1 < trimmed.length) {
        out += trimmed[i + 1];
        i += 2;
      } else {
        out += ch;
        i += 1;
      }
    }
    i += 1; // closing quote
  }
  return out;
}
