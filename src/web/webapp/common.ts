/** Small rendering helpers of the IDX Web App's pages: times, badges, tables, paging, query strings. */
import { html, type HtmlValue, type SafeHtml } from '../shared/html.js';

/** `2026-07-02T09:00:00.000+10:00` → `2026-07-02 09:00:00` in a <time> element carrying the full value. */
export function when(value: string | null | undefined): SafeHtml {
  if (!value) return html`<span class="hint">—</span>`;
  return html`<time datetime="${value}" title="${value}">${value.slice(0, 19).replace('T', ' ')}</time>`;
}

const STATUS_TONE: Record<string, string> = {
  Normal: 'ok', Started: 'ok', completed: 'ok', delivered: 'ok', Available: 'ok',
  Warned: 'warn', delivery_pending: 'info', held: 'warn',
  Stopped: 'bad', removed: 'neutral', message_rejected: 'bad', Outage: 'bad',
};

export function badge(value: string | null | undefined, label?: string): SafeHtml {
  if (!value) return html`<span class="hint">—</span>`;
  return html`<span class="badge badge-${STATUS_TONE[value] ?? 'neutral'}">${label ?? value.replace(/_/g, ' ')}</span>`;
}

/** A query string from the non-empty values (for links that keep the current filters). */
export function query(values: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface Column<T> {
  label: string;
  cell: (row: T) => HtmlValue;
  /** Sort key (translog `sort` values); the header links to sorting by it. */
  sort?: string;
  className?: string;
}

/** A table in a focusable, labelled scroll region (wide tables scroll sideways on narrow screens). */
export function table<T>(o: { label: string; rows: readonly T[]; columns: ReadonlyArray<Column<T>>; empty: string; sortHref?: (key: string) => string; sort?: string; id?: string }): SafeHtml {
  if (o.rows.length === 0) return html`<div class="table-wrap"${o.id ? html` id="${o.id}"` : ''}><p class="empty">${o.empty}</p></div>`;
  const current = o.sort ?? '';
  const head = o.columns.map((c) => {
    // Headers take only the alignment of their column (a monospaced column keeps a readable header).
    const thClass = c.className?.split(' ').filter((k) => k === 'num').join(' ') ?? '';
    if (!c.sort || !o.sortHref) return html`<th scope="col" class="${thClass}">${c.label}</th>`;
    const active = current.replace(/^-/, '') === c.sort;
    const ariaSort = active ? (current.startsWith('-') ? 'descending' : 'ascending') : undefined;
    const next = active && !current.startsWith('-') ? `-${c.sort}` : c.sort;
    return html`<th scope="col" class="${thClass}"${ariaSort ? html` aria-sort="${ariaSort}"` : ''}><a href="${o.sortHref(next)}">${c.label}</a></th>`;
  });
  return html`<div class="table-wrap" role="region" aria-label="${o.label}" tabindex="0"${o.id ? html` id="${o.id}"` : ''}>
<table><thead><tr>${head}</tr></thead>
<tbody>${o.rows.map((row) => html`<tr>${o.columns.map((c) => html`<td class="${c.className ?? ''}">${c.cell(row)}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** "Showing 1–50 of 120" and links to the first and next page (keyset paging: no page numbers). */
export function pager(o: { shown: number; total: number; nextHref: string | null; firstHref: string | null; noun: string }): SafeHtml {
  return html`<div class="pager"><span>${o.total === 0 ? `No ${o.noun}` : `Showing ${o.shown} of ${o.total} ${o.noun}`}</span>
<span class="page-actions">${o.firstHref ? html`<a class="btn btn-small" href="${o.firstHref}">First page</a>` : ''}${o.nextHref ? html`<a class="btn btn-small" href="${o.nextHref}" rel="next">Next page</a>` : ''}</span></div>`;
}

/** A labelled form control. */
export function input(o: { name: string; label: string; value?: string; type?: string; placeholder?: string; list?: string }): SafeHtml {
  const id = `f-${o.name}`;
  return html`<div class="field"><label for="${id}">${o.label}</label><input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${o.list ? html` list="${o.list}"` : ''}></div>`;
}

export function select(o: { name: string; label: string; value?: string; options: ReadonlyArray<[string, string]> }): SafeHtml {
  const id = `f-${o.name}`;
  return html`<div class="field"><label for="${id}">${o.label}</label><select id="${id}" name="${o.name}">${o.options.map(([v, l]) => html`<option value="${v}"${v === (o.value ?? '') ? html` selected` : ''}>${l}</option>`)}</select></div>`;
}

/** `2026-07-02T09:00:00.000+10:00` → `2026-07-02T09:00` for a datetime-local input (market time). */
export function localInput(value: string | undefined): string {
  return value && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value) ? value.slice(0, 16) : '';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
