/**
 * The contract: the OpenAPI documents in openapi/ are the single source of request and response
 * schemas. This module loads them once — each document bundled and dereferenced by Redocly's
 * openapi-core, so every `$ref`, within a file or into common.yaml, is resolved by one maintained
 * library — and derives (1) the Fastify route schemas that validate headers, query and path parameters,
 * (2) the payload validators, (3) each route's authentication and URM rule (`security` plus the CRUD letter
 * of `x-idx-auth`) and quotas (`x-idx-quota`), and (4) a response checker the test suite runs on every response.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * What a caller must present (spec §6), read from the operation's `security` requirement: `mutualTLS`
 * (client certificate), `idxOAuth` (bearer token; its one scope is the URM entity), `adminKey` (the
 * simulator control API), and from `x-idx-auth.permission` the CRUD letter, which OpenAPI cannot say.
 */
export interface RouteAuth {
  /** The simulator control API: `Authorization: Bearer <IDX_SIM_ADMIN_KEY>` instead of certificate + token. */
  admin?: boolean;
  certificate?: boolean;
  token?: boolean;
  entity?: string;
  /** A CRUD letter, or `delete` for the configurable DELETE permission. */
  permission?: string;
}

/** Security scheme names of the documents (common.yaml#/components/securitySchemes). */
export const SECURITY_SCHEMES = { certificate: 'mutualTLS', token: 'idxOAuth', admin: 'adminKey' } as const;

/** Schema keywords of OpenAPI 3.1 and of idx-sim that are not JSON Schema 2020-12 vocabulary (Ajv strict mode knows them). */
const ANNOTATION_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

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

/**
 * Literal segments before templated ones, left to right: `/participants/me` is tried before
 * `/participants/{participantId}` whatever the document order (OpenAPI 3.1 §4.8.8 "Path Templating Matching").
 */
function bySpecificity(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const ta = sa[i]!.includes('{');
    const tb = sb[i]!.includes('{');
    if (ta !== tb) return ta ? 1 : -1;
  }
  return sb.length - sa.length;
}

/** Reads and bundles every document of a directory: each becomes self-contained, every `$ref` inlined. */
export async function loadDocuments(dir: string): Promise<Map<string, Json>> {
  // Loaded here, not with the module: a payload worker compiles a document the hub bundled, and never needs it.
  const { bundle, createConfig } = await import('@redocly/openapi-core');
  // The empty configuration. Written `createConfig({})`, the same resolved configuration and the same bundles
  // (compared document by document), but tsc then instantiates Redocly's huge RawUniversalConfig type to
  // check the `{}`: ~280,000 type instantiations, a fifth of every cold type check of the project.
  const config = await createConfig();
  const documents = new Map<string, Json>();
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const { bundle: result, problems } = await bundle({ ref: join(dir, file), config, dereference: true });
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      // One line per distinct problem: a file that does not parse would otherwise be reported at every $ref to it.
      const lines = [...new Set(errors.map((p) => `${p.message}${p.location[0]?.pointer ? ` (first at ${p.location[0].pointer})` : ''}`.replace(/ \(first at .*$/, '')))];
      throw new Error(`${file}: ${lines.join('; ')}`);
    }
    documents.set(file, result.parsed);
  }
  return documents;
}

/** What `Contract.route` gives a Fastify route. */
export interface ContractRoute { method: string; url: string; schema: FastifyRouteSchema; auth: RouteAuth; quotas: string[] }

export class Contract {
  readonly operations = new Map<string, Operation>();
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes = new Map<string, ContractRoute>();
  /** The same documents compiled to stop at the first error (lazily: only the payload needs it). */
  private firstErrorAjv?: Ajv2020;
  private readonly matchers: Array<{ regex: RegExp; method: string; template: string; operation: Operation }> = [];

  /** Loads, bundles and indexes the documents of a directory. */
  static async load(dir: string): Promise<Contract> {
    return new Contract(dir, await loadDocuments(dir));
  }

  /** `documents`: the bundled, dereferenced documents by file name (see `loadDocuments`). */
  constructor(readonly dir: string, readonly documents: Map<string, Json>) {
    // Strict: a keyword Ajv does not know — a typo, or a YAML slip that turns half a description into a
    // key — is a compile error, not a silently ignored annotation.
    this.ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats.default(this.ajv);
    for (const keyword of ANNOTATION_KEYWORDS) this.ajv.addKeyword(keyword);
    for (const [file, doc] of this.documents) this.indexOperations(file, doc);
    this.matchers.sort((a, b) => bySpecificity(a.template, b.template));
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

  /**
   * The Fastify route: URL with `:params` and schemas for headers, query and path. Built once per operation
   * (the documents do not change): every app built on this contract registers the same schema objects,
   * which Fastify only marks as normalised (as it does when a GET route's schema also serves its HEAD
   * route), and the shared validators find by identity instead of by their JSON text. Treat it as read-only.
   */
  route(operationId: string): ContractRoute {
    let route = this.routes.get(operationId);
    if (!route) this.routes.set(operationId, (route = this.buildRoute(operationId)));
    return route;
  }

  private buildRoute(operationId: string): ContractRoute {
    const op = this.operation(operationId);
    const schema: FastifyRouteSchema = {};
    const byLocation = (where: string) => op.parameters.filter((p) => p.in === where);
    const objectOf = (params: Json[], lowerCase: boolean, closed: boolean) => ({
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [lowerCase ? p.name.toLowerCase() : p.name, requireFinite(withoutAnnotations(p.schema ?? {}))])),
      required: params.filter((p) => p.required).map((p) => (lowerCase ? p.name.toLowerCase() : p.name)),
      ...(closed ? { additionalProperties: false } : {}),
    });
    // Content-Type / Content-Encoding are checked by the handler so that they get their own 415 codes.
    const headers = byLocation('header').filter((p) => !['content-type', 'content-encoding'].includes(p.name.toLowerCase()));
    if (headers.length) schema.headers = objectOf(headers, true, false);
    // Unknown query parameters are refused, not silently ignored (STYLE: no silent stripping).
    schema.querystring = objectOf(byLocation('query'), false, true);
    const params = byLocation('path');
    if (params.length) schema.params = objectOf(params, false, true);
    // Form and JSON bodies are validated by Fastify; gzip payloads (`x-idx-gzip`) by the business function itself.
    const requestBody = this.at(op.file, op.pointer).requestBody;
    const content = requestBody?.content ?? {};
    const body = requestBody?.['x-idx-gzip'] ? undefined : (content['application/x-www-form-urlencoded'] ?? content['application/json'])?.schema;
    if (body) schema.body = withoutAnnotations(body);
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
      // The documents are dereferenced: every schema is self-contained and compiles on its own.
      v = this.ajv.compile(this.at(file, pointer));
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
      this.firstErrorAjv = new Ajv2020({ strict: true, allErrors: false, allowUnionTypes: true });
      addFormats.default(this.firstErrorAjv);
      for (const keyword of ANNOTATION_KEYWORDS) this.firstErrorAjv.addKeyword(keyword);
    }
    const key = `first-error:${file}${pointer}`;
    let v = this.validators.get(key);
    if (!v) {
      v = this.firstErrorAjv.compile(this.at(file, pointer));
      this.validators.set(key, v);
    }
    return v;
  }

  /**
   * Every schema of the documents, by file and JSON pointer: component schemas, parameter and header
   * schemas, request and response bodies, AsyncAPI message payloads. The suite compiles each one strictly.
   */
  schemaLocations(): Array<{ file: string; pointer: string }> {
    const found: Array<{ file: string; pointer: string }> = [];
    for (const [file, doc] of this.documents) {
      const visit = (node: Json, pointer: string, inSchema: boolean): void => {
        if (node === null || typeof node !== 'object' || inSchema) return;
        for (const [key, value] of Object.entries<Json>(node)) {
          const here = `${pointer}/${escapePointer(key)}`;
          const isSchema = (key === 'schema' || key === 'payload') && value !== null && typeof value === 'object'
            || (pointer === '#/components/schemas' && value !== null && typeof value === 'object');
          if (isSchema) found.push({ file, pointer: here });
          visit(value, here, isSchema);
        }
      };
      visit(doc, '#', false);
    }
    return found;
  }

  /**
   * Checks a response against the contract: the status is documented, the content type is declared,
   * the body matches the schema and the response headers are present when required and match their
   * schemas. Returns the violations; `undefined` when the URL is not an API route of any document
   * (docs pages, raw files).
   */
  checkResponse(res: { method: string; url: string; statusCode: number; headers: Record<string, unknown>; body: Buffer }): string[] | undefined {
    const path = res.url.split('?')[0]!;
    const match = this.match(res.method, path);
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
    const pointer = `${op.pointer}/responses/${escapePointer(responseKey)}`;
    const response = this.at(op.file, pointer);
    const problems: string[] = [];
    for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
      const value = res.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: required header ${name} missing`);
        continue;
      }
      if (header.schema === undefined) continue;
      const validate = this.validator(op.file, `${pointer}/headers/${escapePointer(name)}/schema`);
      if (!headerMatches(validate, value)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} does not match its schema (${formatAjvErrors(validate.errors).join('; ')})`);
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
    const validate = this.validator(op.file, `${pointer}/content/${escapePointer(contentType)}/schema`);
    if (!validate(body)) problems.push(...formatAjvErrors(validate.errors).map((e) => `${where}: ${e}`));
    return problems;
  }

  /**
   * The operation × documented status a response exercises (for the suite's contract coverage), or
   * `undefined` when the URL is no operation's, the method is not the operation's, or the status is not
   * one the operation documents explicitly.
   */
  exercised(res: { method: string; url: string; statusCode: number }): { operationId: string; status: string } | undefined {
    const match = this.match(res.method, res.url.split('?')[0]!);
    if (!match || match.method !== res.method.toLowerCase()) return undefined;
    const status = String(res.statusCode);
    return this.at(match.operation.file, match.operation.pointer).responses?.[status] ? { operationId: match.operation.operationId, status } : undefined;
  }

  /** Every operation × status the documents declare (explicit status codes; `default` is not a status). */
  documentedStatuses(): Array<{ operationId: string; status: string }> {
    return [...this.operations.values()].flatMap((op) => Object.keys(this.at(op.file, op.pointer).responses ?? {})
      .filter((status) => /^[1-5]\d\d$/.test(status))
      .map((status) => ({ operationId: op.operationId, status })));
  }

  /** The operation a method and path belong to: the same method first, else any method of that path (for 404/405). */
  private match(method: string, path: string) {
    return this.matchers.find((m) => m.method === method.toLowerCase() && m.regex.test(path)) ?? this.matchers.find((m) => m.regex.test(path));
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
    if (!doc.openapi) return; // the AsyncAPI document has channels, not paths
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
          auth: routeAuth(op.security ?? doc.security ?? [], op['x-idx-auth']),
          quotas: op['x-idx-quota'] ?? [],
          parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        };
        if (this.operations.has(op.operationId)) throw new Error(`duplicate operationId ${op.operationId}`);
        this.operations.set(op.operationId, operation);
        const regex = new RegExp(`^${(base + path).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
        this.matchers.push({ regex, method, template: base + path, operation });
      }
    }
  }

  /** The value at a JSON pointer (`#/a/b`) of a bundled document. */
  private at(file: string, pointer: string): Json {
    let node = this.documents.get(file);
    if (node === undefined) throw new Error(`no OpenAPI document ${file}`);
    for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
      node = node?.[unescapePointer(part)];
      if (node === undefined) throw new Error(`${file}${pointer} does not exist`);
    }
    return node;
  }
}

/**
 * The route's authentication and URM rule from its security requirement (the first one: every IDX
 * operation has exactly one, which names all the schemes a caller must present at once).
 */
function routeAuth(security: Json[], extension: Json): RouteAuth {
  const requirement: Record<string, string[]> = security[0] ?? {};
  const auth: RouteAuth = {};
  if (SECURITY_SCHEMES.admin in requirement) auth.admin = true;
  if (SECURITY_SCHEMES.certificate in requirement) auth.certificate = true;
  const scopes = requirement[SECURITY_SCHEMES.token];
  if (scopes) {
    auth.token = true;
    if (scopes.length > 1) throw new Error(`an IDX operation needs one URM entity, not ${scopes.join(', ')}`);
    if (scopes[0]) auth.entity = scopes[0];
  }
  if (extension?.permission) auth.permission = String(extension.permission);
  return auth;
}

/** A header value is text; a numeric or boolean schema is checked against the value read as JSON. */
function headerMatches(validate: ValidateFunction, value: unknown): boolean {
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  if (validate(text)) return true;
  try {
    return validate(JSON.parse(text));
  } catch {
    return false;
  }
}

/** A schema without its annotations, for Fastify's own (non-strict) validator. */
function withoutAnnotations(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !ANNOTATION_KEYWORDS.includes(k) && k !== 'examples').map(([k, v]) => [k, withoutAnnotations(v)]));
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

const loaded = new Map<string, Promise<Contract>>();
/** The contract of a directory, loaded once per process. */
export function loadContract(dir: string): Promise<Contract> {
  let contract = loaded.get(dir);
  if (!contract) loaded.set(dir, (contract = Contract.load(dir)));
  return contract;
}

/**
 * Gives `loadContract` the documents of a directory as another process bundled them (`loadDocuments`), so
 * this one does not bundle them again: the test suite bundles the project's documents once in its main
 * process, where every worker process took ~0.7 s of CPU to import Redocly and bundle the same files. No
 * effect when the directory's contract is already loaded or being loaded.
 */
export function provideDocuments(dir: string, documents: Map<string, Json>): void {
  if (!loaded.has(dir)) loaded.set(dir, Promise.resolve(new Contract(dir, documents)));
}
