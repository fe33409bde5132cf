/** Reading IDX request headers in handlers (names are lower-case in Node; the contract has validated them). */
import type { FastifyRequest } from 'fastify';

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** x-initiatingParticipantId: required and authorised by the route's contract, so always present. */
export function initiatingParticipant(request: FastifyRequest): string {
  return header(request, 'x-initiatingparticipantid')!;
}
