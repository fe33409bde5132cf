/**
 * The contract: the OpenAPI documents in openapi/ are the single source of request and response
 * schemas. This module loads them once and derives (1) the Fastify route schemas that validate headers,
 * query and path parameters, (2) the payload validators, (3) each route's authorisation rule
 * (`x-idx-auth`) and quotas (`x-idx-quota`), and (4) a response checker the test suite runs on every response.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BASE_URL = 'https://idx.sim/openapi/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** `x-idx-auth` on an operation: what a caller must present (spec §6). */
export interface RouteAuth {
  /** The simulator control API: `Authorization: Bearer <IDX_SIM_ADMIN_KEY>` instead of certificate + token. */
  admin?: boolean;
  certificate?: boolean;
  token?: boolean;
  entity?: string;
  /** A CRUD letter, or `delete` for the configurable DELETE permission. */
  permission?: string;
}

export interface Operation {
  operationId: string;
  file: string;
  method: string;
  /** OpenAPI path template including the server base path, e.g. `/pqd/v1/bpqd/{messageContextId}`. */
  path: string;
  /** JSON pointer of the operation in its file. */
  pointer: string;
  auth: RouteAuth;
  /** `x-idx-quota`: names of the request quotas this operation counts against (src/domain/quotas.ts). */
  quotas: string[];
  /** Resolved parameter objects (path-level and operation-level). */
  parameters: Json[];
}

export interface FastifyRouteSchema {
  headers?: Json;
  querystring?: Json;
  params?: Json;
  body?: Json;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export class Contract {
  readonly documents = new Map<string, Json>();
  readonly operations = new Map<string, Operation>();
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  /** The same documents compiled to stop at the first error (lazily: only the payload needs it). */
  private firstErrorAjv?: Ajv2020;
  private readonly matchers: Array<{ regex: RegExp; method: string; operation: Operation }> = [];

  constructor(readonly dir: string) {
    for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      this.documents.set(file, parseYaml(readFileSync(join(dir, file), 'utf8')));
    }
    this.ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true });
    addFormats.default(this.ajv);
    for (const [file, doc] of this.documents) this.ajv.addSchema({ ...doc, $id: BASE_URL + file });
    for (const [file, doc] of this.documents) this.indexOperations(file, doc);
  }

  /** The raw text of a document, for serving. */
  source(file: string): string | undefined {
    return this.documents.has(file) ? readFileSync(join(this.dir, file), 'utf8') : undefined;
  }

  operation(operationId: string): Operation {
    const op = this.operations.get(operationId);
    if (!op) throw new Error(`operation ${operationId} is not in the OpenAPI documents`);
    return op;
  }

  /** The Fastify route: URL with `:params` and schemas for headers, query and path. */
  route(operationId: string): { method: string; url: string; schema: FastifyRouteSchema; auth: RouteAuth; quotas: string[] } {
    const op = this.operation(operationId);
    const schema: FastifyRouteSchema = {};
    const byLocation = (where: string) => op.parameters.filter((p) => p.in === where);
    const objectOf = (params: Json[], lowerCase: boolean, closed: boolean) => ({
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [lowerCase ? p.name.toLowerCase() : p.name, requireFinite(this.deref(op.file, p.schema ?? {}))])),
      required: params.filter((p) => p.required).map((p) => (lowerCase ? p.name.toLowerCase() : p.name)),
      ...(closed ? { additionalProperties: false } : {}),
    });
    // Content-Type / Content-Encoding are checked by the handler so that they get their own 415 codes.
    const headers = byLocation('header').filter((p) => !['content-type', 'content-encoding', 'authorization'].includes(p.name.toLowerCase()));
    if (headers.length) schema.headers = objectOf(headers, true, false);
    // Unknown query parameters are refused, not silently ignored (STYLE: no silent stripping).
    schema.querystring = objectOf(byLocation('query'), false, true);
    const params = byLocation('path');
    if (params.length) schema.params = objectOf(params, false, true);
    // Form and JSON bodies are validated by Fastify; gzip payloads (`x-idx-gzip`) by the business function itself.
    const requestBody = this.at(op.file, op.pointer).requestBody;
    const content = requestBody?.content ?? {};
    const body = requestBody?.['x-idx-gzip'] ? undefined : (content['application/x-www-form-urlencoded'] ?? content['application/json'])?.schema;
    if (body) schema.body = this.deref(op.file, body);
    return { method: op.method.toUpperCase(), url: op.path.replace(/\{([^}]+)\}/g, ':$1'), schema, auth: op.auth, quotas: op.quotas };
  }

  /**
   * The methods the API offers on a concrete path (HEAD wherever GET is, as Fastify serves it), for the
   * `Allow` header of a 405. Empty when no operation has this path.
   */
  allowedMethods(path: string): string[] {
    const methods = new Set(this.matchers.filter((m) => m.regex.test(path)).map((m) => m.method.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }

  /** Canonical spelling of a header parameter (`x-messagecontextid` → `x-messageContextId`). */
  headerName(lowerCaseName: string): string {
    for (const op of this.operations.values()) {
      for (const p of op.parameters) if (p.in === 'header' && p.name.toLowerCase() === lowerCaseName) return p.name;
    }
    return lowerCaseName;
  }

  /** A validator for a schema in a document, by JSON pointer (e.g. `#/components/schemas/BpqdPayload`). */
  validator(file: string, pointer: string): ValidateFunction {
    const key = `${file}${pointer}`;
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile({ $ref: `${BASE_URL}${file}${pointer}` });
      this.validators.set(key, v);
    }
    return v;
  }

  /**
   * A validator that stops at the first error: its work is bounded by the size of the input, whatever
   * the input is (with allErrors, a payload of a million empty objects yields millions of errors).
   */
  firstErrorValidator(file: string, pointer: string): ValidateFunction {
    if (!this.firstErrorAjv) {
      this.firstErrorAjv = new Ajv2020({ strict: false, allErrors: false, allowUnionTypes: true });
      addFormats.default(this.firstErrorAjv);
      for (const [name, doc] of this.documents) this.firstErrorAjv.addSchema({ ...doc, $id: BASE_URL + name });
    }
    const key = `first-error:${file}${pointer}`;
    let v = this.validators.get(key);
    if (!v) {
      v = this.firstErrorAjv.compile({ $ref: `${BASE_URL}${file}${pointer}` });
      this.validators.set(key, v);
    }
    return v;
  }

  /**
   * Checks a response against the contract: the status is documented, the content type is declared,
   * the body matches the schema and required response headers are present. Returns the violations;
   * `undefined` when the URL is not an API route of any document (docs pages, raw files).
   */
  checkResponse(res: { method: string; url: string; statusCode: number; headers: Record<string, unknown>; body: Buffer }): string[] | undefined {
    const path = res.url.split('?')[0]!;
    const match = this.matchers.find((m) => m.method === res.method.toLowerCase() && m.regex.test(path))
      ?? this.matchers.find((m) => m.regex.test(path));
    if (!match) return undefined;
    const where = `${res.method} ${path} → ${res.statusCode}`;
    const op = match.operation;
    const opObject = this.at(op.file, op.pointer);
    const status = String(res.statusCode);
    const transport = this.documents.get('common.yaml')?.['x-idx-transport-responses']?.[status] ? status : undefined;
    // A method the path does not have: must be a 404/405 problem (405 with Allow), or a transport refusal.
    if (match.method !== res.method.toLowerCase()) {
      if (res.statusCode === 405 && res.headers.allow === undefined) return [`${where}: 405 without Allow`];
      return [404, 405].includes(res.statusCode) || transport ? this.checkProblem(res, where) : [`${where}: undocumented method`];
    }
    const responseKey = opObject.responses?.[status] ? status : opObject.responses?.default ? 'default' : undefined;
    // Refusals made before the operation runs are documented once, in common.yaml (`x-idx-transport-responses`).
    if (!responseKey && transport) return this.checkProblem(res, where);
    if (!responseKey) return [`${where}: status ${status} is not documented for ${op.operationId}`];
    const { file, pointer } = this.follow(op.file, `${op.pointer}/responses/${escapePointer(responseKey)}`);
    const response = this.at(file, pointer);
    const problems: string[] = [];
    for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
      const h = this.derefObject(file, header);
      if (h.required && res.headers[name.toLowerCase()] === undefined) problems.push(`${where}: required header ${name} missing`);
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!response.content) {
      if (res.body.length > 0) problems.push(`${where}: body sent but none documented`);
      return problems;
    }
    if (!(contentType in response.content)) {
      return [...problems, `${where}: content type "${contentType}" not documented (${Object.keys(response.content).join(', ')})`];
    }
    if (!/json/.test(contentType)) return problems;
    let body: Json;
    try {
      const bytes = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body) : res.body;
      body = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      return [...problems, `${where}: body is not JSON (${(err as Error).message})`];
    }
    const validate = this.validator(file, `${pointer}/content/${escapePointer(contentType)}/schema`);
    if (!validate(body)) problems.push(...formatAjvErrors(validate.errors).map((e) => `${where}: ${e}`));
    return problems;
  }

  private checkProblem(res: { headers: Record<string, unknown>; body: Buffer }, where: string): string[] {
    const validate = this.validator('common.yaml', '#/components/schemas/Problem');
    if (!/^application\/problem\+json/.test(String(res.headers['content-type'] ?? ''))) return [`${where}: not application/problem+json`];
    let body: Json;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      return [`${where}: problem body is not JSON (${(err as Error).message})`];
    }
    return validate(body) ? [] : formatAjvErrors(validate.errors).map((e) => `${where}: ${e}`);
  }

  private indexOperations(file: string, doc: Json): void {
    const base = (doc.servers?.[0]?.url ?? '').replace(/\/$/, '');
    for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const operation: Operation = {
          operationId: op.operationId,
          file,
          method,
          path: base + path,
          pointer: `#/paths/${escapePointer(path)}/${method}`,
          auth: op['x-idx-auth'] ?? {},
          quotas: op['x-idx-quota'] ?? [],
          parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => this.parameter(file, p)),
        };
        if (this.operations.has(op.operationId)) throw new Error(`duplicate operationId ${op.operationId}`);
        this.operations.set(op.operationId, operation);
        const regex = new RegExp(`^${(base + path).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
        this.matchers.push({ regex, method, operation });
      }
    }
  }

  /** The value at a JSON pointer (`#/a/b`) of a document. */
  private at(file: string, pointer: string): Json {
    let node = this.documents.get(file);
    if (node === undefined) throw new Error(`no OpenAPI document ${file}`);
    for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
      node = node?.[unescapePointer(part)];
      if (node === undefined) throw new Error(`${file}${pointer} does not exist`);
    }
    return node;
  }

  /** Follows OpenAPI `$ref`s (response, parameter, header objects) to the object's real location. */
  private follow(file: string, pointer: string): { file: string; pointer: string } {
    for (let hops = 0; hops < 10; hops++) {
      const node = this.at(file, pointer);
      if (typeof node?.$ref !== 'string') return { file, pointer };
      const [target = '', fragment = ''] = node.$ref.split('#');
      file = target || file;
      pointer = `#${fragment}`;
    }
    throw new Error(`$ref chain too long at ${file}${pointer}`);
  }

  /** A parameter object with its schema inlined, each `$ref` resolved against the file it was written in. */
  private parameter(file: string, node: Json): Json {
    let loc = { file, pointer: '' };
    if (typeof node?.$ref === 'string') {
      const [target = '', fragment = ''] = node.$ref.split('#');
      loc = this.follow(target || file, `#${fragment}`);
      node = this.at(loc.file, loc.pointer);
    }
    return node.schema === undefined ? node : { ...node, schema: this.deref(loc.file, node.schema) };
  }

  private derefObject(file: string, node: Json): Json {
    if (typeof node?.$ref !== 'string') return node;
    const [target = '', fragment = ''] = node.$ref.split('#');
    const loc = this.follow(target || file, `#${fragment}`);
    return this.at(loc.file, loc.pointer);
  }

  /** A self-contained copy of a schema (every `$ref` inlined), for Fastify's own validator. */
  private deref(file: string, schema: Json, depth = 0): Json {
    if (depth > 20) throw new Error('schema nesting too deep (cyclic $ref?)');
    if (Array.isArray(schema)) return schema.map((s) => this.deref(file, s, depth + 1));
    if (schema === null || typeof schema !== 'object') return schema;
    if (typeof schema.$ref === 'string') {
      const [target = '', fragment = ''] = schema.$ref.split('#');
      return this.deref(target || file, this.at(target || file, `#${fragment}`), depth + 1);
    }
    return Object.fromEntries(Object.entries(schema)
      .filter(([k]) => k !== 'example' && k !== 'examples')
      .map(([k, v]) => [k, this.deref(file, v, depth + 1)]));
  }
}

/**
 * Keyword added to numeric request parameters: the number is finite. ajv's `coerceTypes` turns
 * "Infinity" or "1e309" into ±Infinity, accepts it as an integer and skips minimum/maximum for it
 * (issue 7, defect 5); this keyword refuses it, naming the parameter.
 */
export const FINITE_KEYWORD = 'x-idx-finite';

/** The ajv plugin that defines FINITE_KEYWORD (Fastify's validator compiler loads it). */
export function finiteKeyword(ajv: { addKeyword(definition: object): unknown }): typeof ajv {
  ajv.addKeyword({
    keyword: FINITE_KEYWORD,
    // No `type: 'number'`: ajv runs number keywords only on finite numbers, which is the bug itself.
    schemaType: 'boolean',
    errors: true,
    validate: function finite(this: unknown, _schema: boolean, data: unknown) {
      if (typeof data !== 'number' || Number.isFinite(data)) return true;
      (finite as unknown as { errors: object[] }).errors = [{ keyword: FINITE_KEYWORD, message: 'must be a finite number', params: {} }];
      return false;
    },
  });
  return ajv;
}

function requireFinite(schema: Json): Json {
  if (schema === null || typeof schema !== 'object') return schema;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const numeric = types.includes('integer') || types.includes('number');
  return numeric ? { ...schema, [FINITE_KEYWORD]: true } : schema;
}

/** ajv errors as `<pointer>: <message>` lines. */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
}

let shared: Contract | undefined;
/** The contract loaded from the project's openapi/ directory (loaded once per process). */
export function projectContract(dir: string): Contract {
  if (!shared || shared.dir !== dir) shared = new Contract(dir);
  return shared;
}
