import { describe, expect, it } from 'vitest';
import {
  decodeLastGood,
  encodeLastGood,
  LAST_GOOD_ANNOTATION,
  LAST_GOOD_AT_ANNOTATION,
  lastGoodOf,
  withConfirmedEntries,
  withLastGoodBack,
  withNewEntries,
} from '../src/core/last-good';

const others = { 'team.server': 'corp.example.org {\n}\n' };
const good = { 'drpilot.internal.example.com.server': 'good\n' };
const next = { 'drpilot.internal.example.com.server': 'next\n' };

describe('the last good entries, kept in an annotation on coredns-custom', () => {
  it('round-trips, sorted, and ignores what drpilot would not have written', () => {
    const two = { 'drpilot.b.server': 'b', 'drpilot.a.server': 'a' };
    expect(encodeLastGood(two)).toBe('{"drpilot.a.server":"a","drpilot.b.server":"b"}');
    expect(decodeLastGood(encodeLastGood(two))).toEqual(two);
    expect(decodeLastGood(undefined)).toBeUndefined();
    expect(decodeLastGood('not json')).toBeUndefined();
    expect(decodeLastGood('["drpilot.a.server"]')).toBeUndefined();
    expect(decodeLastGood('{"team.server":"x"}')).toBeUndefined();
    expect(decodeLastGood('{"drpilot.a.server":1}')).toBeUndefined();
  });

  it('before any annotation, the entries in place are the last good ones', () => {
    expect(lastGoodOf({ data: { ...others, ...good }, annotations: {} })).toEqual(good);
    expect(lastGoodOf({ data: others, annotations: {} })).toEqual({});
    expect(
      lastGoodOf({
        data: { ...others, ...next },
        annotations: { [LAST_GOOD_ANNOTATION]: encodeLastGood(good) },
      }),
    ).toEqual(good);
  });

  it('a write replaces only drpilot entries and keeps the last good ones recorded', () => {
    const written = withNewEntries({ data: { ...others, ...good }, annotations: { a: 'b' } }, next);
    expect(written).toEqual({
      data: { ...others, ...next },
      annotations: { a: 'b', [LAST_GOOD_ANNOTATION]: encodeLastGood(good) },
    });
    // A second write before confirmation still remembers the confirmed ones, not the pending.
    expect(lastGoodOf(withNewEntries(written, { 'drpilot.x.server': 'x' }))).toEqual(good);
  });

  it('confirming makes the new entries the last good ones; a put-back keeps others as they are now', () => {
    const at = new Date('2026-05-01T12:00:00Z');
    const confirmed = withConfirmedEntries(
      { data: { ...others, ...next }, annotations: {} },
      next,
      at,
    );
    expect(confirmed.annotations).toEqual({
      [LAST_GOOD_ANNOTATION]: encodeLastGood(next),
      [LAST_GOOD_AT_ANNOTATION]: '2026-05-01T12:00:00.000Z',
    });
    const meanwhile = { ...others, 'late.server': 'late.example.org {\n}\n', ...next };
    expect(withLastGoodBack({ data: meanwhile, annotations: {} }, good).data).toEqual({
      ...others,
      'late.server': 'late.example.org {\n}\n',
      ...good,
    });
    expect(withLastGoodBack({ data: meanwhile, annotations: {} }, {}).data).toEqual({
      ...others,
      'late.server': 'late.example.org {\n}\n',
    });
  });
});
