/**
 * How the running server's virtual counterparties reach it: real HTTPS requests to its own address with
 * the participant's dev certificate (certs/participants/<ID>/primary) and URM user — the same path,
 * checks and transaction log as any participant. Also loads the optional fixtures/counterparties.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdxClient } from '../client/idx-client.js';
import type { AppContext } from '../context.js';
import { withDefaults, type CounterpartySpec } from '../domain/counterparties.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { MessageSigner } from '../security/message-signature.js';

export function connectCounterparties(ctx: AppContext, serverUrl: string, certsDir: string, caPem: string): void {
  // A wildcard listen address is reached on loopback (the server certificate names localhost and 127.0.0.1).
  const url = serverUrl.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
  const paths = pkiPaths(certsDir);
  ctx.counterparties.useConnector((spec) => {
    const certPem = readFileSync(paths.participantCert(spec.participantId, 'primary'), 'utf8');
    const keyPem = readFileSync(paths.participantKey(spec.participantId, 'primary'), 'utf8');
    const pid = spec.participantId.toLowerCase();
    const client = new IdxClient({
      url, participantId: spec.participantId, cert: certPem, key: keyPem, ca: caPem,
      clientId: spec.clientId ?? `${pid}-api`, clientSecret: spec.clientSecret ?? `${pid}-secret`,
    }, undefined, () => ctx.clock.now());
    return { client, signer: new MessageSigner({ certPem, keyPem }, ctx.clock) };
  });
}

/** Starts the counterparties of `<fixtures>/counterparties.json` (optional); returns how many. */
export function loadCounterpartyFixtures(ctx: AppContext, fixturesDir: string): number {
  const file = join(fixturesDir, 'counterparties.json');
  if (!existsSync(file)) return 0;
  let specs: CounterpartySpec[];
  try {
    specs = (JSON.parse(readFileSync(file, 'utf8')) as { counterparties: CounterpartySpec[] }).counterparties;
  } catch (err) {
    throw new Error(`cannot read fixture ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(specs)) throw new Error(`fixture ${file} needs a "counterparties" list`);
  const validate = ctx.contract.validator('sim-admin.yaml', '#/components/schemas/CounterpartySpec');
  specs.forEach((spec, i) => {
    if (!validate(spec)) throw new Error(`fixture ${file}, counterparties[${i}]: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    ctx.counterparties.add(withDefaults(spec));
  });
  return specs.length;
}
