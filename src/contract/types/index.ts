/**
 * Request types of every operation, from the types openapi-typescript generates from the OpenAPI
 * documents (`npm run contract:types`; the other files of this folder). `contractRoute` gives each
 * handler its operation's query, path and body types, so handlers keep no hand-written copies.
 */
import type { operations as ArchiveOperations } from './archive.js';
import type { operations as BfinfoOperations } from './bfinfo.js';
import type { operations as EventsOperations } from './events.js';
import type { operations as FctrlOperations } from './fctrl.js';
import type { operations as PqdOperations } from './pqd.js';
import type { operations as SimAdminOperations } from './sim-admin.js';
import type { operations as TokenOperations } from './token.js';
import type { operations as TranslogOperations } from './translog.js';

/** Every operation of the API documents, by operationId. */
export type Operations = ArchiveOperations & BfinfoOperations & EventsOperations & FctrlOperations & PqdOperations & SimAdminOperations & TokenOperations & TranslogOperations;
export type OperationId = keyof Operations & string;

export type QueryOf<Id extends OperationId> = NonNullable<Operations[Id]['parameters']['query']>;
export type PathOf<Id extends OperationId> = NonNullable<Operations[Id]['parameters']['path']>;
/** Operations whose body is gzip bytes (`x-idx-gzip`): the handler gets the Buffer, the business function parses it. */
type GzipBodies = 'submitBpqd';
export type BodyOf<Id extends OperationId> = Id extends GzipBodies ? Buffer
  : Operations[Id]['requestBody'] extends { content: infer C } ? C[keyof C] : undefined;

/** Fastify's route generic of an operation; an operationId the documents do not have (a test stand-in) gets unknown. */
export type RouteTypes<Id extends string> = Id extends OperationId
  ? { Querystring: QueryOf<Id>; Params: PathOf<Id>; Body: BodyOf<Id> }
  : { Querystring: unknown; Params: unknown; Body: unknown };
