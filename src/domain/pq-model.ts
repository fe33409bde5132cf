/**
 * A small physical model of what a smart meter's basic power quality data looks like (spec §5.2 [D]
 * shape; docs/spec-variance.md rows 230–233): per-phase voltage around the LV nominal of 230 V (AS 60038,
 * +10 %/−6 %), sagging with the feeder's and the premises' load and rising with midday solar export;
 * currents following household and small-business load shapes; the phase angle of the current from the
 * power factor, near 180° while a site exports. Pure and seedable: the same seed, NMI and date always
 * give the same readings, whatever else is generated alongside.
 */
import type { Interval, PhaseReading } from './bpqd-payload.js';
import { formatMarketDateTime } from './market-time.js';
import { SeededRandom } from './random.js';

export type Phase = 'A' | 'B' | 'C';
export type SiteKind = 'household' | 'business';

/** What a site is: drawn once per NMI from the seed. */
export interface SiteProfile {
  kind: SiteKind;
  phases: Phase[];
  /** Rooftop PV in kW peak; 0 without. */
  pvKw: number;
  baseKw: number;
  peakKw: number;
  /** Open-circuit voltage at the site's point on the feeder. */
  sourceVolts: number;
  /** Service line and transformer share, ohm: the premises' own current moves its voltage by I·Z. */
  impedanceOhm: number;
  /** Power factor of the load (lagging). */
  powerFactor: number;
  /** Share of the load on each phase (three-phase sites). */
  phaseShare: number[];
}

/** Values given for one interval (from a CSV): replace what the model would produce. */
export interface IntervalOverride {
  /** Net active power of the site in kW (negative = export). */
  kw?: number;
  voltage?: number;
  current?: number;
  phaseAngle?: number;
}

/** `nmi|intervalStartDateTime` (all phases) or `nmi|intervalStartDateTime|phase` → values. */
export type OverrideLookup = (nmi: string, intervalStart: string, phase?: Phase) => IntervalOverride | undefined;

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
const between = (r: SeededRandom, lo: number, hi: number) => lo + r.next() * (hi - lo);
const bump = (x: number, centre: number, width: number) => Math.exp(-(((x - centre) / width) ** 2) / 2);

function gaussian(r: SeededRandom): number {
  // Box–Muller; 1 - next() keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

export function siteProfile(seed: string, nmi: string): SiteProfile {
  const r = new SeededRandom(`${seed}:site:${nmi}`);
  const kind: SiteKind = r.next() < 0.2 ? 'business' : 'household';
  const threePhase = r.next() < (kind === 'business' ? 0.75 : 0.15);
  const hasPv = r.next() < (kind === 'business' ? 0.3 : 0.4);
  const share = threePhase ? [between(r, 0.28, 0.42), between(r, 0.28, 0.38), between(r, 0.22, 0.34)] : [1];
  const total = share.reduce((a, b) => a + b, 0);
  return {
    kind,
    phases: threePhase ? ['A', 'B', 'C'] : ['A'],
    pvKw: hasPv ? round(kind === 'business' ? between(r, 5, 30) : between(r, 3, 10), 1) : 0,
    baseKw: kind === 'business' ? between(r, 1, 4) : between(r, 0.15, 0.5),
    peakKw: kind === 'business' ? between(r, 5, 20) : between(r, 1.5, 5),
    sourceVolts: between(r, 232, 244),
    impedanceOhm: between(r, 0.15, 0.5),
    powerFactor: between(r, 0.9, 0.99),
    phaseShare: share.map((s) => s / total),
  };
}

/** Weather of a market day, shared by every site: how much of the clear-sky solar gets through. */
export function dayWeather(seed: string, date: string): { clearness: number } {
  const r = new SeededRandom(`${seed}:weather:${date}`);
  return { clearness: r.next() < 0.25 ? between(r, 0.2, 0.55) : between(r, 0.75, 1) };
}

/** Day of the year and weekday (0 = Sunday) of a `YYYY-MM-DD`. */
function calendar(date: string): { dayOfYear: number; weekday: number } {
  const ms = Date.parse(`${date}T00:00:00Z`);
  const d = new Date(ms);
  return { dayOfYear: Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, weekday: d.getUTCDay() };
}

/** Clear-sky PV output as a share of peak at an hour; the southern-hemisphere day is longest around 21 December. */
export function solarShare(hour: number, dayOfYear: number): number {
  const dayLength = 12 + 2.2 * Math.cos((2 * Math.PI * (dayOfYear - 355)) / 365);
  const sunrise = 12.25 - dayLength / 2;
  const x = (hour - sunrise) / dayLength;
  return x <= 0 || x >= 1 ? 0 : Math.sin(Math.PI * x) ** 1.4;
}

/** Demand in kW of a site at an hour of the market day (before solar). */
export function loadKw(p: SiteProfile, hour: number, weekday: number): number {
  if (p.kind === 'household') {
    return p.baseKw + p.peakKw * (0.35 * bump(hour, 7.5, 1) + bump(hour, 18.8, 1.7) + 0.15 * bump(hour, 13, 3));
  }
  const open = 1 / (1 + Math.exp(-(hour - 7.5) * 2)) - 1 / (1 + Math.exp(-(hour - 18) * 2));
  const weekend = weekday === 0 || weekday === 6 ? 0.3 : 1;
  return p.baseKw + p.peakKw * open * weekend;
}

/**
 * The boundaries of a market day's intervals as IDX date-times: `count + 1` of them from market midnight.
 * Every meter of a day shares them, so the last day's are kept: a 1000-NMI day formats 289 instead of 576,000.
 */
let boundaries: { key: string; texts: string[] } = { key: '', texts: [] };
function intervalBoundaries(date: string, intervalLength: number, count: number): string[] {
  const key = `${date}|${intervalLength}|${count}`;
  if (boundaries.key !== key) {
    const midnight = Date.parse(`${date}T00:00:00.000+10:00`);
    boundaries = { key, texts: Array.from({ length: count + 1 }, (_, k) => formatMarketDateTime(midnight + k * intervalLength * 60_000)) };
  }
  return boundaries.texts;
}

/**
 * The intervals of one meter for one market day: `intervalLength` minutes each from market midnight,
 * `count` of them (a whole day by default).
 */
export function meterIntervals(seed: string, nmi: string, date: string, intervalLength: number, profile: SiteProfile = siteProfile(seed, nmi),
  overrides?: OverrideLookup, count = (24 * 60) / intervalLength): Interval[] {
  const r = new SeededRandom(`${seed}:readings:${nmi}:${date}`);
  const { clearness } = dayWeather(seed, date);
  const { dayOfYear, weekday } = calendar(date);
  const times = intervalBoundaries(date, intervalLength, count);
  // Each phase sits a little above or below the others on the feeder.
  const phaseOffset = profile.phases.map(() => gaussian(r) * 1.2);
  const spread = Math.sqrt(intervalLength);
  const intervals: Interval[] = [];
  for (let k = 0; k < count; k++) {
    const start = times[k]!;
    const hour = (k + 0.5) * intervalLength / 60;
    const solar = solarShare(hour, dayOfYear) * clearness * (1 - 0.25 * r.next() * (1 - clearness));
    // Appliances switching on and off: multiplicative noise, and now and then a kettle or oven.
    let demand = loadKw(profile, hour, weekday) * (0.8 + 0.45 * r.next());
    if (r.next() < 0.03) demand += profile.kind === 'household' ? 2 : 5;
    let netKw = demand - profile.pvKw * solar;
    const whole = overrides?.(nmi, start);
    if (whole?.kw !== undefined) netKw = whole.kw;
    // The neighbourhood: evening peak pulls the feeder down, midday solar pushes it up.
    const feeder = -4 * bump(hour, 18.8, 2) + 5 * solarShare(hour, dayOfYear) * clearness;
    const readings: PhaseReading[] = profile.phases.map((phase, i) => {
      const phaseKw = netKw * profile.phaseShare[i]!;
      let volts = profile.sourceVolts + phaseOffset[i]! + feeder + gaussian(r) * 0.4;
      let amps = Math.abs(phaseKw) * 1000 / (volts * profile.powerFactor);
      volts -= Math.sign(phaseKw) * amps * profile.impedanceOhm;
      volts = Math.min(258, Math.max(207, volts));
      amps = Math.abs(phaseKw) * 1000 / (volts * profile.powerFactor);
      // Importing, current lags by acos(pf); exporting (inverter near unity), it sits near 180°.
      let angle = phaseKw >= 0 ? (Math.acos(profile.powerFactor) * 180) / Math.PI + gaussian(r) * 1.5
        : 180 - (Math.acos(between(r, 0.97, 1)) * 180) / Math.PI;
      const given = overrides?.(nmi, start, phase);
      if (given?.voltage !== undefined) volts = given.voltage;
      if (given?.current !== undefined) amps = given.current;
      if (given?.phaseAngle !== undefined) angle = given.phaseAngle;
      const vDown = r.next() * 0.5 * spread;
      const vUp = r.next() * 0.5 * spread;
      const aDown = r.next() * 0.3;
      const aUp = r.next() * 0.6;
      return {
        phase,
        voltage: { avg: round(volts, 1), min: round(volts - vDown, 1), max: round(volts + vUp, 1), uom: 'V' },
        current: { avg: round(amps, 2), min: round(amps * (1 - aDown), 2), max: round(amps * (1 + aUp), 2), uom: 'A' },
        phaseAngle: { avg: round(angle, 1), uom: 'deg' },
        qualityFlag: 'A',
      };
    });
    intervals.push({ intervalStartDateTime: start, intervalEndDateTime: times[k + 1]!, readings });
  }
  return intervals;
}
