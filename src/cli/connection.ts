/**
 * Options every participant command shares (`idx-sim token|submit|poll|events|doctor`): where the hub is
 * and who we are. Defaults point at a local idx-sim with its dev certificates, so `--as MDPONE` is all
 * a fixture participant needs; against AEMO pass --url, --cert, --key, --ca, --client-id, --client-secret.
 */
import { existsSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config.js';
import { IdxClient, readPem, type ClientIdentity } from '../client/idx-client.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { MessageSigner } from '../security/message-signature.js';

/** Exit codes CI can rely on (README "Participant CLI"). */
export const EXIT = {
  OK: 0,
  /** Something the hub refused or a check that failed (an expectation not met, a doctor check failed). */
  FAILED: 1,
  /** Wrong usage: unknown option, missing argument. */
  USAGE: 2,
  /** Could not reach the hub or complete TLS: nothing was decided. */
  UNREACHABLE: 3,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export const CONNECTION_OPTIONS = {
  as: { type: 'string' },
  url: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  slot: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'token-url': { type: 'string' },
  'certs-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_USAGE = `connection (defaults: a local idx-sim and its dev certificates):
  --as ID              participant ID (x-initiatingParticipantId); env IDX_PARTICIPANT
  --url URL            hub base URL (default https://127.0.0.1:8443; env IDX_URL)
  --cert F --key F     client certificate and key (default certs/participants/<ID>/<slot>.{crt,key})
  --slot S             primary|secondary dev certificate (default primary)
  --ca F               CA to trust (default certs/ca/ca.crt; against AEMO, AEMO's CA bundle)
  --client-id U --client-secret P   URM user (default <id>-api / <id>-secret; env IDX_CLIENT_ID, IDX_CLIENT_SECRET)
  --token-url URL      token endpoint (default <url>/oauth/v1/token)
  --certs-dir D        where the dev certificates are (default certs; env IDX_SIM_CERTS_DIR)
  --json               machine-readable output
exit codes: 0 ok · 1 refused / check failed / expectation not met · 2 usage · 3 hub unreachable (TLS, network)
`;

export interface ConnectionValues {
  as?: string;
  url?: string;
  cert?: string;
  key?: string;
  ca?: string;
  slot?: string;
  'client-id'?: string;
  'client-secret'?: string;
  'token-url'?: string;
  'certs-dir'?: string;
}

export interface Connection {
  identity: ClientIdentity;
  certPath: string;
  keyPath: string;
  caPath: string | undefined;
  client: IdxClient;
  /** Signs as this participant (x-signature), with the key of --key. */
  signer(): MessageSigner;
}

export function connect(values: ConnectionValues, env: NodeJS.ProcessEnv = process.env): Connection {
  const participantId = values.as ?? env.IDX_PARTICIPANT;
  if (!participantId) throw new UsageError('--as <participant ID> is required (or IDX_PARTICIPANT)');
  if (!/^[A-Z0-9]{1,10}$/.test(participantId)) throw new UsageError(`--as must be a participant ID (1-10 of A-Z 0-9), got "${participantId}"`);
  const slot = values.slot ?? 'primary';
  if (slot !== 'primary' && slot !== 'secondary') throw new UsageError(`--slot must be primary or secondary, got "${slot}"`);
  const config = loadConfig({ certsDir: values['certs-dir'] });
  const paths = pkiPaths(config.certsDir);
  const certPath = values.cert ?? paths.participantCert(participantId, slot);
  const keyPath = values.key ?? paths.participantKey(participantId, slot);
  const caPath = values.ca ?? (existsSync(paths.caCert) ? paths.caCert : undefined);
  const url = values.url ?? env.IDX_URL ?? `https://127.0.0.1:${config.port}`;
  if (!/^https:\/\//.test(url)) throw new UsageError(`--url must be an https:// URL (IDX is HTTPS only, spec §1), got "${url}"`);
  const hint = values.cert ? '' : ' (start idx-sim once to generate the dev certificates, or pass --cert/--key)';
  const cert = readPem(certPath, `client certificate${hint}`);
  const key = readPem(keyPath, 'private key');
  const pid = participantId.toLowerCase();
  const identity: ClientIdentity = {
    url, participantId, cert, key, ...(caPath ? { ca: readPem(caPath, 'CA bundle') } : {}),
    clientId: values['client-id'] ?? env.IDX_CLIENT_ID ?? `${pid}-api`,
    clientSecret: values['client-secret'] ?? env.IDX_CLIENT_SECRET ?? `${pid}-secret`,
    ...(values['token-url'] ? { tokenPath: values['token-url'] } : {}),
  };
  return {
    identity, certPath, keyPath, caPath,
    client: new IdxClient(identity),
    signer: () => new MessageSigner({ certPem: cert.toString('utf8'), keyPem: key.toString('utf8') }),
  };
}

/** Network and TLS failures (no HTTP answer) as opposed to refusals. */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  const code = e.code ?? e.cause?.code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|UND_ERR_|ERR_TLS|ERR_SSL|CERT_|DEPTH_|SELF_SIGNED|UNABLE_TO|ERR_OSSL)/.test(code)
    || e.name === 'ConnectTimeoutError' || e.name === 'SocketError';
}

export function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const code = e.code ?? e.cause?.code;
  const base = e.message ?? String(err);
  return code && !base.includes(code) ? `${base} (${code}${e.cause?.message && e.cause.message !== base ? `: ${e.cause.message}` : ''})` : base;
}
