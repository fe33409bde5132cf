/**
 * Checks of the OpenAPI documents themselves (not of responses), run by test/contract/openapi.test.ts on
 * the project's documents and, on mutated copies, to prove each check can fail.
 */
import type { Contract } from '../../src/contract/openapi.js';
import { SECURITY_SCHEMES } from '../../src/contract/openapi.js';
import { isUrmEntity } from '../../src/domain/participants.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Strict compile of every schema in every document; the Ajv error for each one that does not compile. */
export function schemaCompileProblems(contract: Contract): string[] {
  return contract.schemaLocations().flatMap(({ file, pointer }) => {
    try {
      contract.validator(file, pointer);
      return [];
    } catch (err) {
      return [`${file}${pointer}: ${(err as Error).message}`];
    }
  });
}

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SUBSCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMAS = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];

/** Every `example` of a schema and of its subschemas, with the pointer of the schema it must match. */
function schemaExamples(schema: Json, pointer: string, out: Array<{ pointer: string; value: Json }>): void {
  if (schema === null || typeof schema !== 'object') return;
  if ('example' in schema) out.push({ pointer, value: schema.example });
  for (const key of SUBSCHEMA_MAPS) for (const [name, sub] of Object.entries<Json>(schema[key] ?? {})) schemaExamples(sub, `${pointer}/${key}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  for (const key of SUBSCHEMA_ARRAYS) (schema[key] ?? []).forEach((sub: Json, i: number) => schemaExamples(sub, `${pointer}/${key}/${i}`, out));
  for (const key of SUBSCHEMAS) if (schema[key] && typeof schema[key] === 'object') schemaExamples(schema[key], `${pointer}/${key}`, out);
}

/**
 * Every documented example that does not validate against its schema: `example` in schemas, and
 * `example`/`examples` beside a `schema` (parameters, headers, media types).
 */
export function exampleProblems(contract: Contract): string[] {
  const problems: string[] = [];
  for (const { file, pointer } of contract.schemaLocations()) {
    const found: Array<{ pointer: string; value: Json }> = [];
    schemaExamples(pointerValue(contract.documents.get(file), pointer), pointer, found);
    const holder = pointerValue(contract.documents.get(file), pointer.replace(/\/[^/]+$/, ''));
    if (pointer.endsWith('/schema') && holder) {
      if ('example' in holder) found.push({ pointer, value: holder.example });
      for (const example of Object.values<Json>(holder.examples ?? {})) if (example && 'value' in example) found.push({ pointer, value: example.value });
    }
    for (const { pointer: at, value } of found) {
      const validate = contract.validator(file, at);
      if (!validate(value)) problems.push(`${file}${at}: example ${JSON.stringify(value)} does not match its schema: ${JSON.stringify(validate.errors?.[0]?.message)}`);
    }
  }
  return problems;
}

/**
 * Security: every operation states its own `security` (no silent default), names only the document's
 * standard schemes, asks for URM entities as `idxOAuth` scopes, and no operation documents an
 * `Authorization` header parameter (OpenAPI 3.1 §4.8.12.1: tools SHALL ignore it).
 */
export function securityProblems(contract: Contract): string[] {
  const problems: string[] = [];
  const known = new Set<string>(Object.values(SECURITY_SCHEMES));
  for (const op of contract.operations.values()) {
    const doc = contract.documents.get(op.file);
    const opObject = pointerValue(doc, op.pointer);
    const where = `${op.file} ${op.operationId}`;
    if (!Array.isArray(opObject.security)) {
      problems.push(`${where}: no security requirement (state one; \`security: []\` for a public operation)`);
      continue;
    }
    for (const requirement of opObject.security) {
      for (const [scheme, scopes] of Object.entries<string[]>(requirement)) {
        if (!known.has(scheme)) problems.push(`${where}: unknown security scheme ${scheme}`);
        else if (!doc.components?.securitySchemes?.[scheme]) problems.push(`${where}: security scheme ${scheme} is not in the document's components.securitySchemes`);
        if (scheme === SECURITY_SCHEMES.token) for (const scope of scopes) if (!isUrmEntity(scope)) problems.push(`${where}: idxOAuth scope ${scope} is not a URM entity`);
      }
    }
    if (op.auth.token && op.auth.entity && !/^(C|R|U|D|delete)$/.test(op.auth.permission ?? '')) problems.push(`${where}: x-idx-auth.permission must name the CRUD letter for ${op.auth.entity}`);
    if (op.parameters.some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'authorization')) problems.push(`${where}: documents Authorization as a header parameter; use a security scheme`);
  }
  return problems;
}

function pointerValue(node: Json, pointer: string): Json {
  for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node;
}
