/**
 * ISO 8601 durations (`PT1H`, `P1D`, `P2DT3H30M`, `P1W`, `-PT15M`) as the simulator console's "advance the
 * clock" field takes them. Days are 24 hours (the market has no daylight saving: AEST, spec §2); years and
 * months are refused because their length depends on where they start.
 */
const DURATION = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Seconds in an ISO 8601 duration, or undefined when the text is not one (or names years or months). */
export function isoDurationSeconds(text: string): number | undefined {
  const t = text.trim().toUpperCase();
  const m = DURATION.exec(t);
  if (!m || t.endsWith('P') || t.endsWith('T')) return undefined;
  const [, sign, w, d, h, min, s] = m;
  const seconds = Number(w ?? 0) * 604_800 + Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
  return Math.round(sign ? -seconds : seconds);
}
