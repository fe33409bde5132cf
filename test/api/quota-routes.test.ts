/**
 * Attaching a quota to a route is declarative: an operation names it in `x-idx-quota` and
 * `contractRoute` enforces it. Proved here with a stand-in for the Flow Control outbound-delivery PATCH
 * (the real Flow Control API arrives later), in a contract directory of its own.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, PROJECT_ROOT, type AppContext } from '../../src/context.js';
import { Contract } from '../../src/contract/openapi.js';
import { AdjustableClock } from '../../src/domain/clock.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { Authenticator } from '../../src/plugins/auth.js';
import { contractRoute } from '../../src/plugins/contract-routes.js';
import { registerProblemDetails } from '../../src/plugins/problem-details.js';
import type { Db } from '../../src/store/database.js';
import { openTestDatabase } from '../helpers/database.js';
import { loadFixtures } from '../../src/store/fixtures.js';
import { pkiDir, T0, TEST_CERT_HEADER } from '../helpers/harness.js';

const standIn = (quota: string) => `openapi: 3.1.0
info: { title: Flow Control stand-in, version: 0.0.0 }
servers: [{ url: /fctrl-test/v1 }]
paths:
  /businessFunctions/{businessFunctionId}:
    parameters:
      - { name: businessFunctionId, in: path, required: true, schema: { type: string, pattern: '^[0-9_a-z]{1,4}$' } }
    patch:
      operationId: manageOutboundDeliveryStandIn
      security: [{ mutualTLS: [] }]
      x-idx-quota: [${quota}]
      parameters:
        - $ref: 'common.yaml#/components/parameters/InitiatingParticipantId'
      responses:
        '200': { description: Switched. }
        '429': { $ref: 'common.yaml#/components/responses/TooManyRequests' }
components:
  securitySchemes:
    mutualTLS: { $ref: 'common.yaml#/components/securitySchemes/mutualTLS' }
`;

let dir: string;
let db: Db;
let clock: AdjustableClock;

async function contextWith(document: string): Promise<AppContext> {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-quota-contract-'));
  for (const file of readdirSync(join(PROJECT_ROOT, 'openapi'))) copyFileSync(join(PROJECT_ROOT, 'openapi', file), join(dir, file));
  writeFileSync(join(dir, 'fctrl-test.yaml'), document);
  const paths = pkiPaths(pkiDir());
  const ctx = createContext({
    config: loadConfig({ logLevel: 'silent', profile: 'aemo' }, {}), db, clock, random: new SeededRandom('quota-routes'),
    caCertPem: readFileSync(paths.caCert, 'utf8'), tokenSigningKeyPem: readFileSync(paths.tokenSigningKey, 'utf8'), contract: await Contract.load(dir),
    hubSigning: { certPem: readFileSync(paths.hubCert, 'utf8'), keyPem: readFileSync(paths.hubKey, 'utf8') },
  });
  loadFixtures(ctx.participants, join(PROJECT_ROOT, 'fixtures'));
  return ctx;
}

async function appWith(ctx: AppContext): Promise<FastifyInstance> {
  const app = fastify();
  registerProblemDetails(app, ctx);
  const auth = new Authenticator(ctx, (request) => {
    const value = request.headers[TEST_CERT_HEADER];
    return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  });
  contractRoute(app, ctx, auth, 'manageOutboundDeliveryStandIn', async (_request, reply) => reply.code(200).send());
  await app.ready();
  return app;
}

beforeEach(() => {
  db = openTestDatabase();
  clock = new AdjustableClock();
  clock.freeze(T0);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('x-idx-quota on an operation', () => {
  it('an unknown quota name stops the hub at startup, naming the operation', async () => {
    const ctx = await contextWith(standIn('fctrl-patches-per-week'));
    await expect(appWith(ctx)).rejects.toThrow(/manageOutboundDeliveryStandIn: x-idx-quota names unknown quota fctrl-patches-per-week/);
  });
});
