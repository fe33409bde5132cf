/**
 * The console's forms → control-API request bodies. Only what a browser form cannot say is converted here
 * (text → numbers, a local market date-time → ISO 8601 with the market offset, an ISO duration → seconds,
 * empty fields → absent); every rule about what is allowed stays in the control API, whose refusals the
 * console shows next to the field they point at.
 */
import { isoDurationSeconds } from '../../domain/iso-duration.js';
import { MARKET_OFFSET_MINUTES } from '../../domain/market-time.js';
import type { ProblemItem } from './control.js';

export type Form = Record<string, string>;

/** A form problem found before the control API is called (it has no field to point at otherwise). */
export class FormProblem extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
  item(): ProblemItem {
    return { in: 'form', name: this.field, code: 'FORM', message: this.message };
  }
}

const OFFSET = `+${String(MARKET_OFFSET_MINUTES / 60).padStart(2, '0')}:00`;

const text = (form: Form, name: string): string | undefined => {
  const v = (form[name] ?? '').trim();
  return v === '' ? undefined : v;
};

/** A number when the field holds one; otherwise the text itself, so the control API's schema refuses it and says where. */
const numberOrText = (form: Form, name: string): number | string | undefined => {
  const v = text(form, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
};

/**
 * A date-time field: `datetime-local` gives market-local `YYYY-MM-DDTHH:mm[:ss]` (the console says it is
 * market time, AEST); a value with its own offset or Z is passed as typed.
 */
export function marketInstant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${value}:00${OFFSET}`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) return `${value}${OFFSET}`;
  return value;
}

/** An ISO 8601 instant shown in a `datetime-local` field, in market time. */
export function localMarketValue(iso: string): string {
  return iso.slice(0, 19);
}

export function clockBody(form: Form): Record<string, unknown> {
  switch (form.action) {
    case 'freeze': return { frozen: true };
    case 'unfreeze': return { frozen: false };
    case 'set': {
      const dateTime = marketInstant(text(form, 'dateTime'));
      if (!dateTime) throw new FormProblem('dateTime', 'enter the market date and time to set the clock to');
      return { dateTime };
    }
    case 'advance': {
      const duration = text(form, 'duration');
      if (!duration) throw new FormProblem('duration', 'enter an ISO 8601 duration, e.g. PT90M, P2D or P1DT6H');
      const seconds = isoDurationSeconds(duration);
      if (seconds === undefined) throw new FormProblem('duration', `"${duration}" is not an ISO 8601 duration such as PT90M, P2D or P1DT6H (weeks, days, hours, minutes, seconds)`);
      return { advanceSeconds: seconds };
    }
    default: throw new FormProblem('action', `unknown clock action "${form.action ?? ''}"`);
  }
}

export function churnBody(form: Form): { nmi: string; body: Record<string, unknown> } {
  const nmi = text(form, 'nmi');
  if (!nmi) throw new FormProblem('nmi', 'choose the NMI to churn');
  const body: Record<string, unknown> = { fromDate: text(form, 'fromDate') ?? '' };
  for (const role of ['MC', 'MDP', 'LNSP']) {
    const p = text(form, role);
    if (p) body[role] = p;
  }
  if (Object.keys(body).length === 1) throw new FormProblem('MC', 'choose at least one role to pass to a new participant');
  return { nmi, body };
}

export function counterpartyBody(form: Form): Record<string, unknown> {
  const kind = text(form, 'kind');
  const body: Record<string, unknown> = { kind, participantId: text(form, 'participantId') };
  if (kind === 'lnsp') {
    body.policy = text(form, 'policy') ?? 'normal';
    if (body.policy === 'slow') body.perMinute = numberOrText(form, 'perMinute');
  } else {
    const every = numberOrText(form, 'everyMinutes');
    body.schedule = every === undefined ? { every: 'day' } : { everyMinutes: every };
    const from = text(form, 'from');
    if (from) body.from = from;
    const share = numberOrText(form, 'invalidShare');
    if (share !== undefined) body.invalidShare = share;
  }
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export function counterpartyPatch(form: Form): Record<string, unknown> {
  switch (form.action) {
    case 'pause': return { paused: true };
    case 'resume': return { paused: false };
    case 'policy': {
      const policy = text(form, 'policy');
      return policy === 'slow' ? { policy, perMinute: numberOrText(form, 'perMinute') ?? 1 } : { policy };
    }
    default: throw new FormProblem('action', `unknown counterparty action "${form.action ?? ''}"`);
  }
}

export function faultBody(form: Form): Record<string, unknown> {
  const body: Record<string, unknown> = {
    kind: text(form, 'kind'), api: text(form, 'api'), operationId: text(form, 'operationId'), participantId: text(form, 'participantId'),
    from: marketInstant(text(form, 'from')), to: marketInstant(text(form, 'to')), share: numberOrText(form, 'share'),
    description: text(form, 'description'),
  };
  if (body.kind === 'error') body.status = numberOrText(form, 'status');
  if (body.kind === 'latency') {
    body.latencyMs = numberOrText(form, 'latencyMs');
    body.latencyMaxMs = numberOrText(form, 'latencyMaxMs');
  }
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export function outageBody(form: Form): Record<string, unknown> {
  const list = (name: string) => {
    const v = text(form, name);
    return v === undefined ? undefined : v.split(/[\s,]+/).filter(Boolean);
  };
  const body: Record<string, unknown> = {
    outageStart: marketInstant(text(form, 'outageStart')) ?? '', outageEnd: marketInstant(text(form, 'outageEnd')) ?? '',
    description: text(form, 'description') ?? '', participantIds: list('participantIds'), apis: list('apis'),
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}
