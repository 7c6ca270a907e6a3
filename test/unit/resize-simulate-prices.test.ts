import { describe, expect, it } from 'vitest';

import { parsePriceTable, priceBook } from '../../lambdas/core/resize/simulate/price-book';
import { SHIPPED_PRICES } from '../../lambdas/core/resize/simulate/price-table';
import { catalogueTypeInfo } from '../../lambdas/core/resize/simulate/instance-catalogue';

const LADDER = ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm6i.4xlarge'];

describe('the shipped price table', () => {
  it('states its source and date and prices every catalogue type in us-east-1', () => {
    expect(SHIPPED_PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(SHIPPED_PRICES.source).toContain('AWS Price List API');
    const prices = SHIPPED_PRICES.usdPerHour['us-east-1'] ?? {};
    expect(Object.keys(catalogueTypeInfo(['us-east-1a'])).filter((type) => !prices[type])).toEqual(
      [],
    );
  });

  it('prices a family by size: each size costs the same per vCPU', () => {
    const prices = SHIPPED_PRICES.usdPerHour['us-east-1'] ?? {};
    const perVcpu = LADDER.map((type, i) => (prices[type] as number) / 2 ** (i + 1));
    expect(new Set(perVcpu).size).toBe(1);
  });
});

describe('priceBook', () => {
  it('uses the region’s own prices, in integer micro-dollars per hour', () => {
    const result = priceBook('us-east-1', LADDER, null);
    expect(result).toMatchObject({
      ok: true,
      book: { pricedAs: 'us-east-1', note: null, microUsdPerHour: { 'm6i.large': 96_000 } },
    });
  });

  it('falls back to us-east-1 for a region the tables lack, and says so', () => {
    const result = priceBook('eu-west-1', LADDER, null);
    expect(result.ok && result.book.pricedAs).toBe('us-east-1');
    expect(result.ok && result.book.note).toMatch(/no list prices for eu-west-1 .* pass --prices/);
  });

  it('prefers a price file for its regions', () => {
    const override = {
      source: 'AWS Pricing Calculator',
      date: '2026-07-01',
      usdPerHour: { 'eu-west-1': Object.fromEntries(LADDER.map((t, i) => [t, 0.107 * 2 ** i])) },
    };
    const result = priceBook('eu-west-1', LADDER, override);
    expect(result).toMatchObject({
      ok: true,
      book: { pricedAs: 'eu-west-1', source: 'AWS Pricing Calculator', note: null },
    });
    expect(result.ok && result.book.microUsdPerHour['m6i.xlarge']).toBe(214_000);
  });

  it('names the types a table has no price for', () => {
    const override = {
      source: 's',
      date: '2026-07-01',
      usdPerHour: { 'eu-west-1': { 'm6i.large': 0.1 } },
    };
    expect(priceBook('eu-west-1', LADDER, override)).toEqual({
      ok: false,
      error:
        'no eu-west-1 price for m6i.xlarge, m6i.2xlarge, m6i.4xlarge in s: give them in a --prices file',
    });
  });
});

describe('parsePriceTable', () => {
  it.each([
    ['not JSON', '{', /^p\.json is not valid JSON/],
    [
      'no source',
      '{"date":"2026-07-01","usdPerHour":{"eu-west-1":{}}}',
      /^p\.json: source must say where/,
    ],
    [
      'a bad date',
      '{"source":"s","date":"2026-13-01","usdPerHour":{"eu-west-1":{}}}',
      /^p\.json: date must be the day/,
    ],
    [
      'no regions',
      '{"source":"s","date":"2026-07-01","usdPerHour":{}}',
      /^p\.json: usdPerHour must map at least one region/,
    ],
    [
      'an unknown region',
      '{"source":"s","date":"2026-07-01","usdPerHour":{"eu-west-9":{}}}',
      /^p\.json: usdPerHour\.eu-west-9 is not an AWS region name$/,
    ],
    [
      'a price that is not one',
      '{"source":"s","date":"2026-07-01","usdPerHour":{"eu-west-1":{"m6i.large":"cheap"}}}',
      /^p\.json: usdPerHour\.eu-west-1\.m6i\.large must be a price/,
    ],
  ])('refuses %s, naming the field', (_, text, error) => {
    const result = parsePriceTable(text, 'p.json');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });

  it('reads a valid file', () => {
    const result = parsePriceTable(
      '{"source":"AWS Pricing Calculator","date":"2026-07-01","usdPerHour":{"eu-west-1":{"m6i.large":0.107}}}',
      'p.json',
    );
    expect(result).toEqual({
      ok: true,
      table: {
        source: 'AWS Pricing Calculator',
        date: '2026-07-01',
        usdPerHour: { 'eu-west-1': { 'm6i.large': 0.107 } },
      },
    });
  });
});
