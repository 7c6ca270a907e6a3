/**
 * The prices one simulation bills with: the simulated group's region looked up in the given
 * tables (a user's price file first, then the shipped table), else the fallback region's list
 * prices with a note saying so. Prices are kept in micro-dollars per hour, as integers, so that
 * every policy's bill is an exact sum and the oracle's comparison with a policy is exact too.
 */
import { AWS_REGIONS } from '../../config/regions';
import { FALLBACK_REGION, SHIPPED_PRICES } from './price-table';
import type { PriceTable } from './price-table';

export interface PriceBook {
  /** The simulated group's region. */
  region: string;
  /** The region whose prices are used (differs from `region` on fallback). */
  pricedAs: string;
  source: string;
  date: string;
  /** Why the prices are not the region's own, when they are not. */
  note: string | null;
  /** type → micro-dollars per hour (integers). */
  microUsdPerHour: Readonly<Record<string, number>>;
}

export type PriceBookResult = { ok: true; book: PriceBook } | { ok: false; error: string };

export function priceBook(
  region: string,
  types: readonly string[],
  override: PriceTable | null,
): PriceBookResult {
  const tables = override ? [override, SHIPPED_PRICES] : [SHIPPED_PRICES];
  const own = tables.find((table) => table.usdPerHour[region] !== undefined);
  const table = own ?? SHIPPED_PRICES;
  const pricedAs = own ? region : FALLBACK_REGION;
  const prices = table.usdPerHour[pricedAs] ?? {};
  const missing = types.filter((type) => prices[type] === undefined);
  if (missing.length > 0) {
    return {
      ok: false,
      error: `no ${pricedAs} price for ${missing.join(', ')} in ${table.source}: give them in a --prices file`,
    };
  }
  return {
    ok: true,
    book: {
      region,
      pricedAs,
      source: table.source,
      date: table.date,
      note: own
        ? null
        : `no list prices for ${region} in the shipped table (it holds ${Object.keys(SHIPPED_PRICES.usdPerHour).join(', ')}): priced at ${FALLBACK_REGION} list prices; pass --prices FILE with ${region}'s`,
      microUsdPerHour: Object.fromEntries(
        types.map((type) => [type, Math.round((prices[type] as number) * 1e6)]),
      ),
    },
  };
}

/**
 * A user's price file: `{ "source": "…", "date": "YYYY-MM-DD", "usdPerHour": { "<region>":
 * { "<type>": 0.107, … } } }`. Errors name the field.
 */
export function parsePriceTable(
  text: string,
  file: string,
): { ok: true; table: PriceTable } | { ok: false; error: string } {
  let document: unknown;
  try {
    document = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    return { ok: false, error: `${file} is not valid JSON: ${(error as Error).message}` };
  }
  const fail = (path: string, message: string) => ({
    ok: false as const,
    error: `${file}: ${path} ${message}`,
  });
  if (!isRecord(document)) return fail('(document)', 'must be an object');
  const { source, date, usdPerHour } = document;
  if (typeof source !== 'string' || source.trim() === '')
    return fail('source', 'must say where the prices come from');
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !isCalendarDate(date))
    return fail('date', 'must be the day the prices were read, YYYY-MM-DD');
  if (!isRecord(usdPerHour) || Object.keys(usdPerHour).length === 0)
    return fail('usdPerHour', 'must map at least one region to its prices');
  const regions: Record<string, Record<string, number>> = {};
  for (const [region, prices] of Object.entries(usdPerHour)) {
    if (!(AWS_REGIONS as readonly string[]).includes(region))
      return fail(`usdPerHour.${region}`, 'is not an AWS region name');
    if (!isRecord(prices)) return fail(`usdPerHour.${region}`, 'must map instance types to prices');
    const regionPrices: Record<string, number> = {};
    for (const [type, price] of Object.entries(prices)) {
      if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0 || price > 1000)
        return fail(`usdPerHour.${region}.${type}`, 'must be a price in USD per hour (> 0)');
      regionPrices[type] = price;
    }
    regions[region] = regionPrices;
  }
  return { ok: true, table: { source, date, usdPerHour: regions } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCalendarDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
}
