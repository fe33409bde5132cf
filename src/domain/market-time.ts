import { IdxError } from './errors.js';

/**
 * NEM market time is AEST, a fixed +10:00 offset with no daylight saving (spec §3, "Date-time format").
 * IDX renders date-times as `YYYY-MM-DDTHH:mm:ss.SSS+HH:MM`; idx-sim always answers in +10:00.
 */
export const MARKET_OFFSET_MINUTES = 600;
/** The offset as IDX date-times write it. */
export const MARKET_OFFSET = '+10:00';
const MARKET_OFFSET_MS = MARKET_OFFSET_MINUTES * 60_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-07-01T10:00:00.000+10:00` for the given instant. */
export function formatMarketDateTime(epochMs: number): string {
  const d = new Date(epochMs + MARKET_OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${MARKET_OFFSET}`
  );
}

/** The market (AEST) calendar date, `YYYY-MM-DD`, of an instant. */
export function marketDate(epochMs: number): string {
  const d = new Date(epochMs + MARKET_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Epoch ms of the next market midnight (AEST 00:00) after an instant: when a market day's quotas reset. */
export function nextMarketMidnight(epochMs: number): number {
  const dayMs = 86_400_000;
  return Math.floor((epochMs + MARKET_OFFSET_MS) / dayMs) * dayMs + dayMs - MARKET_OFFSET_MS;
}

/**
 * IDX date-time with an explicit offset. TL-OAS and ARCH-OAS enforce milliseconds; the published PQD
 * list example omits them, so they are optional here (docs/spec-variance.md #18). These are the two
 * patterns of the OpenAPI documents (`QueryDateTime`, `IdxDateTime`).
 */
export const IDX_DATE_TIME_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?[+-]\\d{2}:\\d{2}$';
export const IDX_DATE_TIME_MS_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}[+-]\\d{2}:\\d{2}$';

const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?([+-])(\d{2}):(\d{2})$/;
/** A `+` sent unencoded in a query string is decoded as a space (WHATWG URL / form encoding). */
const PLUS_AS_SPACE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})? \d{2}:\d{2}$/;

export type DateTimeReading = { ok: true; epochMs: number } | { ok: false; reason: string };

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The one date-time parser of every IDX API (spec §3: `YYYY-MM-DDTHH:mm:ss.SSS+HH:MM`): a real calendar
 * instant, or the reason it is not one. Fields are range-checked as RFC 3339 §5.6 defines them (month
 * 01–12, day within its month, hour 00–23, minute and second 00–59, offset ±00:00–23:59), so nothing
 * rolls over (30 February is not 2 March). No leap second and no `24:00`: an instant must be exact.
 */
export function readIdxDateTime(text: string, options: { millisecondsRequired?: boolean } = {}): DateTimeReading {
  if (PLUS_AS_SPACE.test(text)) {
    return { ok: false, reason: `"${text}" has a space where the offset's sign belongs: an unencoded "+" in a query string arrives as a space; percent-encode it as %2B (e.g. ${text.replace(' ', '%2B')})` };
  }
  const m = PARTS.exec(text);
  if (!m) return { ok: false, reason: `"${text}" is not YYYY-MM-DDTHH:mm:ss${options.millisecondsRequired ? '.SSS' : '[.SSS]'}±HH:MM` };
  if (options.millisecondsRequired && m[7] === undefined) return { ok: false, reason: `"${text}" has no milliseconds; this API requires YYYY-MM-DDTHH:mm:ss.SSS±HH:MM` };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [offsetHours, offsetMinutes] = [Number(m[9]), Number(m[10])];
  const problem = month < 1 || month > 12 ? `month ${m[2]} does not exist`
    : day < 1 || day > daysIn(year, month) ? `day ${m[3]} does not exist: ${m[1]}-${m[2]} has ${daysIn(year, month)} days`
    : hour > 23 ? `hour ${m[4]} does not exist (00–23)`
    : minute > 59 ? `minute ${m[5]} does not exist (00–59)`
    : second > 59 ? `second ${m[6]} does not exist (00–59)`
    : offsetHours > 23 || offsetMinutes > 59 ? `offset ${m[8]}${m[9]}:${m[10]} is not an offset (±00:00 to ±23:59)`
    : undefined;
  if (problem) return { ok: false, reason: `"${text}" is not a real date-time: ${problem}` };
  const local = Date.UTC(year, month - 1, day, hour, minute, second, Number(m[7] ?? 0));
  return { ok: true, epochMs: local - (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000 };
}

/** Code point of '0'; a character is a digit when its code minus this is 0–9 (what `\d` matches without the u flag). */
const ZERO = 48;
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), what Date.UTC computes
 * for years 100–9999, in integer arithmetic: no call into the runtime per timestamp (issue #13).
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The digits of text[from, from + count) as a number, or -1 when one of them is not 0–9. */
function digitsAt(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses an IDX date-time; undefined when it is not one (wrong shape or impossible date). Exactly
 * `readIdxDateTime`, without its regex, array and Date allocations: a whole-day payload has 576 of these
 * per meter (issue #13). Anything the fast path is not sure of (years before 0100, which Date.UTC maps to
 * 19xx) goes to `readIdxDateTime`, so the two can never disagree.
 */
export function parseIdxDateTime(text: string): number | undefined {
  const n = text.length;
  const hasMs = n === 29;
  if (!hasMs && n !== 25) return undefined;
  if (text.charCodeAt(4) !== 45 /* - */ || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 /* T */
    || text.charCodeAt(13) !== 58 /* : */ || text.charCodeAt(16) !== 58 || text.charCodeAt(n - 3) !== 58) return undefined;
  if (hasMs && text.charCodeAt(19) !== 46 /* . */) return undefined;
  const sign = text.charCodeAt(n - 6);
  if (sign !== 43 /* + */ && sign !== 45 /* - */) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const ms = hasMs ? digitsAt(text, 20, 3) : 0;
  const offsetHours = digitsAt(text, n - 5, 2);
  const offsetMinutes = digitsAt(text, n - 2, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || ms < 0 || offsetHours < 0 || offsetMinutes < 0) return undefined;
  if (year < 100) {
    const reading = readIdxDateTime(text);
    return reading.ok ? reading.epochMs : undefined;
  }
  if (month < 1 || month > 12) return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
  return local - (sign === 45 ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/**
 * A date-time query parameter of any IDX API as an instant; 400 IDX_ERR_QUERY_INVALID naming the
 * parameter when it is not a real one (undefined when absent).
 */
export function dateTimeParameter(name: string, value: string | undefined, options: { millisecondsRequired?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const reading = readIdxDateTime(value, options);
  if (reading.ok) return reading.epochMs;
  throw new IdxError('IDX_ERR_QUERY_INVALID', `${name}: ${reading.reason}`,
    { errors: [{ in: 'query', name, code: 'DATE_TIME', message: reading.reason }] });
}

/** True for the OpenAPI patterns of IDX date-times (to explain a pattern failure with the parser's reason). */
export function isIdxDateTimePattern(pattern: string): boolean {
  return pattern === IDX_DATE_TIME_PATTERN || pattern === IDX_DATE_TIME_MS_PATTERN;
}
