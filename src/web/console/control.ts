/**
 * The console's way to read and change the simulator: the control API itself (`/sim/v1`), called in
 * process with the admin key. Every action a form takes is exactly what `idx-sim` commands and CI scripts
 * do — the same validation, the same refusals (problem+json, shown inline), the same logs — so the
 * console holds no second source of truth and cannot drift from the API.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';

export interface ProblemItem {
  in: string;
  pointer?: string;
  name?: string;
  code: string;
  message: string;
}

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  traceId: string;
  errors?: ProblemItem[];
}

export type ControlResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; problem: Problem };

export class Control {
  constructor(private readonly app: FastifyInstance, private readonly ctx: AppContext) {}

  /**
   * Calls `/sim/v1<path>` as the console's signed-in operator (the remote address of the browser's request
   * goes with it, so the control API's own log names who acted).
   */
  async call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, from?: FastifyRequest): Promise<ControlResult<T>> {
    const res = await this.app.inject({
      method, url: `/sim/v1${path}`,
      headers: { authorization: `Bearer ${this.ctx.config.adminKey}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      ...(from ? { remoteAddress: from.ip } : {}),
    });
    const json = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
    if (res.statusCode >= 400) return { ok: false, status: res.statusCode, problem: json as unknown as Problem };
    return { ok: true, status: res.statusCode, data: ('data' in json ? json.data : json) as T };
  }

  /** A read the console cannot do without: a refusal here is the console's own defect. */
  async read<T>(path: string): Promise<T> {
    const r = await this.call<T>('GET', path);
    if (!r.ok) throw new Error(`control API GET ${path} answered ${r.status} ${r.problem.code}: ${r.problem.detail}`);
    return r.data;
  }
}
