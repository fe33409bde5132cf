/**
 * NEM market time is AEST, a fixed +10:00 offset with no daylight saving (spec §3, "Date-time format").
 * IDX renders date-times as `YYYY-MM-DDTHH:mm:ss.SSS+HH:MM`; idx-sim always answers in +10:00.
 */
export const MARKET_OFFSET_MINUTES = 600;
const MARKET_OFFSET_MS = MARKET_OFFSET_MINUTES * 60_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-07-01T10:00:00.000+10:00` for the given instant. */
export function formatMarketDateTime(epochMs: number): string {
  const d = new Date(epochMs + MARKET_OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+10:00`
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
 * list example omits them, so they are optional here (docs/spec-variance.md).
 */
export const IDX_DATE_TIME_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?[+-]\\d{2}:\\d{2}$';
const IDX_DATE_TIME = new RegExp(IDX_DATE_TIME_PATTERN);

/** Parses an IDX date-time; undefined when it is not one (wrong shape or impossible date). */
export function parseIdxDateTime(text: string): number | undefined {
  if (!IDX_DATE_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls "2026-02-30" over to March; refuse dates that do not exist.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return undefined;
  return ms;
}

/** The `+HH:MM` offset written in an IDX date-time. */
export function offsetOf(text: string): string {
  return text.slice(-6);
}
