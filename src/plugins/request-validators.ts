/**
 * Request validators (headers, query, path, body) compiled once per process and shared by every app
 * built in it. Fastify's default compiles each route's schemas again for every app instance; the hub
 * builds one app, but the test suite builds one per test, and that compilation was most of its cost.
 * Same Ajv (Fastify's own compiler, same options), same schemas: only the cache is new.
 */
import AjvCompiler from '@fastify/ajv-compiler';

type BuildValidator = AjvCompiler.BuildCompilerFromPool;
type CompileRoute = ReturnType<BuildValidator>;

const pool = AjvCompiler();
const compiled = new Map<string, ReturnType<CompileRoute>>();
/** The same, by schema object: the contract's routes register the same objects in every app (Contract.route). */
const byObject = new WeakMap<object, Map<string, ReturnType<CompileRoute>>>();

/** For `schemaController.compilersFactory.buildValidator`. */
export const sharedValidators: BuildValidator = (externalSchemas, options) => {
  const compile = pool(externalSchemas, options);
  const optionsKey = JSON.stringify([externalSchemas, options]);
  return ((route: Parameters<CompileRoute>[0]) => {
    const part = `${optionsKey}\0${route.httpPart}`;
    const schema = route.schema as object;
    let seen = typeof schema === 'object' && schema !== null ? byObject.get(schema) : undefined;
    let validate = seen?.get(part);
    if (validate) return validate;
    // Other routes build their schema objects per app (and Fastify copies a headers schema to lower-case
    // it), so the key is the schema's content.
    const key = `${part}\0${JSON.stringify(schema)}`;
    validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = compile(route)));
    if (typeof schema === 'object' && schema !== null) {
      if (!seen) byObject.set(schema, (seen = new Map()));
      seen.set(part, validate);
    }
    return validate;
  }) as CompileRoute;
};
