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

/** For `schemaController.compilersFactory.buildValidator`. */
export const sharedValidators: BuildValidator = (externalSchemas, options) => {
  const compile = pool(externalSchemas, options);
  const optionsKey = JSON.stringify([externalSchemas, options]);
  return ((route: Parameters<CompileRoute>[0]) => {
    // Routes rebuild their schema objects from the contract, so the key is the schema's content.
    const key = `${optionsKey}\0${route.httpPart}\0${JSON.stringify(route.schema)}`;
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = compile(route)));
    return validate;
  }) as CompileRoute;
};
