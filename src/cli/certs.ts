/**
 * `idx-sim certs`: the certificate registry from the command line (spec §6) — list, (re)issue from the dev
 * CA or from a participant's CSR, rotate to the other slot, revoke. It works on the data and certificates
 * directories directly, so it can run while the server does: the server notices the change on its next
 * request (on SQLite the registry watches data_version; on PostgreSQL this command tells the running
 * instances over the hub bus's channel, as the control API's changes are told).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type ResolvedConfig } from '../config.js';
import { checkCommonName, CERTIFICATE_SLOTS, type CertificateSlot } from '../domain/certificate-rules.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import { writeFileAtomically } from '../store/files.js';
import { ensureDevPki, issueClientCertificate, participantCommonName, pkiPaths, readCertificateRequest, type KeyAndCert } from '../pki/dev-ca.js';
import { ensureSharedCertificates } from '../pki/shared-certificates.js';
import { CertificateRegistry, registerCertificatesFromDir } from '../security/certificate-registry.js';
import { commonNameOf } from '../security/client-identity.js';
import { CertificateStore } from '../store/certificate-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { notifyInstances } from '../store/pg-hub-notify.js';
import { readFixtures } from '../store/fixtures.js';

export const CERTS_USAGE = `usage: idx-sim certs <list|issue|rotate|revoke> [options]

  list    [--all]                                                   registered certificates (--all: also replaced ones)
  issue   --participant ID[,ID…] --slot primary|secondary [--csr FILE | --cn CN] [--days N]
          (re)issue a certificate from the dev CA and register it in the slot; with --csr, for the key
          in your CSR (CN <ID>-NonProd or an FQDN, RSA ≥ 2048), else a new key is generated next to it.
          Several ids: one certificate serving all of them (spec §6), written under each id's directory;
          its CN is --cn (an FQDN, or <ID>-NonProd of one of them), by default <first ID>-NonProd
  rotate  --participant ID --to primary|secondary                   make that slot the active certificate
  revoke  --participant ID --slot primary|secondary                 refused from the next request on (for that id;
                                                                    the other ids a shared certificate serves keep it)

  common: --data-dir D  --certs-dir D  --fixtures-dir D   (defaults: IDX_SIM_DATA_DIR, IDX_SIM_CERTS_DIR, IDX_SIM_FIXTURES_DIR)
`;

const DAY_MS = 86_400_000;
/** spec §6: AEMO client certificates are RSA 2048. */
const MIN_KEY_BITS = 2048;

interface Workspace {
  config: ResolvedConfig;
  db: Db;
  registry: CertificateRegistry;
  participantIds: string[];
  ca: KeyAndCert;
}

function open(config: ResolvedConfig, now: number): Workspace {
  const fixtures = readFixtures(config.fixturesDir);
  const participantIds = fixtures.participants.map((p) => p.participantId);
  const pki = ensureDevPki(config.certsDir, participantIds, config.serverHosts);
  ensureSharedCertificates(config.certsDir, pki, fixtures.sharedCertificates);
  const db = openDatabase({ path: config.databasePath, synchronous: config.sqliteSynchronous, url: config.databaseUrl,
    postgres: { statementTimeoutMs: config.databaseTimeoutMs, connectTimeoutMs: config.databaseTimeoutMs, probeIntervalMs: config.databaseProbeIntervalMs } });
  const registry = new CertificateRegistry(new CertificateStore(db), config.certificateEnvironment);
  if (db.dialect === 'postgres') registry.onWrite(() => notifyInstances(db, [{ kind: 'certificates' }]));
  registerCertificatesFromDir(registry, config.certsDir, participantIds, now);
  return { config, db, registry, participantIds, ca: pki.ca };
}

const slotOf = (value: string | undefined, flag: string): CertificateSlot => {
  if (!CERTIFICATE_SLOTS.includes(value as CertificateSlot)) throw new Error(`${flag} must be primary or secondary${value ? `, got "${value}"` : ''}\n\n${CERTS_USAGE}`);
  return value as CertificateSlot;
};

export function certsCommand(args: string[], out: (text: string) => void, now = Date.now()): number {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      participant: { type: 'string' }, slot: { type: 'string' }, to: { type: 'string' }, csr: { type: 'string' }, days: { type: 'string' }, cn: { type: 'string' },
      all: { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, 'certs-dir': { type: 'string' }, 'fixtures-dir': { type: 'string' },
    },
  });
  if (!sub || !['list', 'issue', 'rotate', 'revoke'].includes(sub)) {
    if (!sub || sub === 'help') {
      out(CERTS_USAGE);
      return 0;
    }
    throw new Error(`unknown certs command "${sub}"\n\n${CERTS_USAGE}`);
  }
  const config = loadConfig({ dataDir: values['data-dir'], certsDir: values['certs-dir'], fixturesDir: values['fixtures-dir'] });
  const ws = open(config, now);
  try {
    if (sub === 'list') {
      out(listing(ws, values.all));
      return 0;
    }
    if (!values.participant) throw new Error(`--participant is required\n\n${CERTS_USAGE}`);
    const participantIds = [...new Set(values.participant.split(',').map((p) => p.trim()).filter(Boolean))];
    const unknown = participantIds.filter((p) => !ws.participantIds.includes(p));
    if (unknown.length || participantIds.length === 0) throw new Error(`unknown participant ${unknown.join(', ') || values.participant}; known: ${ws.participantIds.join(', ')}`);
    if (sub === 'issue') {
      out(issue(ws, participantIds, slotOf(values.slot, '--slot'), values.csr, values.cn, values.days, now));
      return 0;
    }
    if (participantIds.length > 1) throw new Error(`${sub} acts on one participant id's registration: --participant ${participantIds[0]}`);
    const participantId = participantIds[0]!;
    if (sub === 'rotate') {
      const to = slotOf(values.to, '--to');
      ws.registry.rotate(participantId, to, now);
      const cert = ws.registry.view().current(participantId, to)!;
      out(`${participantId}'s active certificate is now its ${to} (serial ${cert.serialNumber}). With IDX_SIM_TLS_CERT_SLOTS / IDX_SIM_SIGNATURE_CERT_SLOTS ` +
        '= active only this one is accepted; with both (the default) either is.\n');
    } else if (sub === 'revoke') {
      const slot = slotOf(values.slot, '--slot');
      const cert = ws.registry.view().current(participantId, slot);
      ws.registry.revoke(participantId, slot, now);
      const stillServes = ws.registry.view().registrationsOf(cert!.fingerprint256)
        .filter((c) => c.participantId !== participantId && c.replacedAt === null && c.revokedAt === null).map((c) => c.participantId);
      out(`revoked ${participantId}'s ${slot} certificate (serial ${cert!.serialNumber}): refused for mTLS and signatures from the next request on` +
        (stillServes.length ? ` when acting for ${participantId}; it still serves ${stillServes.join(', ')} (revoke those too if the key is compromised)` : '') + '.\n');
    }
    return 0;
  } finally {
    ws.db.close();
  }
}

function issue(ws: Workspace, participantIds: string[], slot: CertificateSlot, csrPath: string | undefined, cnOption: string | undefined, daysText: string | undefined, now: number): string {
  const days = daysText === undefined ? 3 * 365 : Number(daysText);
  if (!Number.isInteger(days) || days < 1 || days > 10 * 365) throw new Error(`--days must be a whole number of days from 1 to 3650, got "${daysText}"`);
  if (csrPath && cnOption) throw new Error('--cn and --csr exclude each other: with --csr the CN is the one in your CSR');
  const environment = ws.config.certificateEnvironment;
  const paths = pkiPaths(ws.config.certsDir);
  const validity = { now, notAfter: now + days * DAY_MS };
  const ids = participantIds.join(', ');
  /** spec §6: the preferred CN names one of the ids the certificate serves; an FQDN names none. */
  const checkCn = (commonName: string | undefined, what: string): string => {
    const cn = checkCommonName(commonName, environment);
    if (!cn.ok) throw new Error(`${what} ${cn.message}`);
    if (cn.participantId !== null && !participantIds.includes(cn.participantId)) {
      throw new Error(`${what} CN "${commonName}" names ${cn.participantId}, not ${participantIds.length > 1 ? `one of ${ids}` : participantIds[0]}`);
    }
    return commonName!;
  };
  let issued: KeyAndCert;
  if (csrPath) {
    // AEMO's process starts from the participant's CSR (spec §6): the key never leaves the participant.
    const csr = readCertificateRequest(readFileSync(csrPath, 'utf8'));
    const commonName = checkCn(csr.commonName, "the CSR's");
    if (csr.keyBits < MIN_KEY_BITS) throw new Error(`the CSR's RSA key has ${csr.keyBits} bits; AEMO certificates are RSA ${MIN_KEY_BITS} (spec §6)`);
    issued = issueClientCertificate(ws.ca, commonName, { ...validity, publicKeyPem: csr.publicKeyPem });
  } else {
    issued = issueClientCertificate(ws.ca, checkCn(cnOption ?? participantCommonName(participantIds[0]!, environment), '--cn'), validity);
  }
  // The id the CN names is registered first: the registry accepts the others as sharing it.
  const named = /^([A-Z0-9]{1,10})-/.exec(commonNameOf(new X509Certificate(issued.certPem)) ?? '')?.[1];
  const order = [...participantIds.filter((p) => p === named), ...participantIds.filter((p) => p !== named)];
  for (const participantId of order) ws.registry.register(participantId, slot, issued.certPem, now);
  const rel = (p: string) => relative(process.cwd(), p) || p;
  const wrote: string[] = [];
  for (const participantId of participantIds) {
    const certPath = paths.participantCert(participantId, slot);
    const keyPath = paths.participantKey(participantId, slot);
    mkdirSync(dirname(certPath), { recursive: true });
    // Key before certificate, each written atomically: a crash in between leaves a pair the next start
    // recognises as broken (src/pki/dev-ca.ts), never a certificate next to a key that is not its own.
    if (issued.keyPem) writeFileAtomically(keyPath, issued.keyPem, 0o600);
    else if (existsSync(keyPath)) rmSync(keyPath); // the old key no longer matches the certificate in the slot
    writeFileAtomically(certPath, issued.certPem, 0o644);
    wrote.push(issued.keyPem ? `${rel(certPath)} and ${rel(keyPath)}` : rel(certPath));
  }
  const cert = ws.registry.view().current(participantIds[0]!, slot)!;
  return `issued ${participantIds.length > 1 ? `the ${slot} certificate of ${ids} (one certificate serving all ${participantIds.length})` : `${ids}'s ${slot} certificate`}: ` +
    `CN ${cert.commonName}, serial ${cert.serialNumber}, valid ${formatMarketDateTime(cert.validFrom)} to ${formatMarketDateTime(cert.validTo)}\n` +
    `  wrote ${wrote.join('; ')}${issued.keyPem ? '' : ` (the key stays with you: sign with idx-sim sign --key <your key>)`}; it replaces the previous ${slot} certificate from the next request on\n`;
}

function listing(ws: Workspace, all: boolean): string {
  const view = ws.registry.view();
  // A certificate registered for several ids (spec §6) is listed once per id; SERVES names all of them.
  const serves = (fingerprint256: string) => view.registrationsOf(fingerprint256).filter((r) => r.replacedAt === null).map((r) => r.participantId).join(',');
  const rows = view.certificates.filter((c) => all || c.replacedAt === null).map((c) => [
    c.participantId,
    c.slot,
    view.activeSlot(c.participantId).slot === c.slot && c.replacedAt === null ? 'active' : '',
    c.replacedAt !== null ? 'replaced' : c.revokedAt !== null ? 'revoked' : 'registered',
    c.commonName,
    c.serialNumber,
    formatMarketDateTime(c.validFrom),
    formatMarketDateTime(c.validTo),
    serves(c.fingerprint256) || '-',
  ]);
  const header = ['PARTICIPANT', 'SLOT', 'ACTIVE', 'STATUS', 'CN', 'SERIAL', 'VALID FROM', 'VALID TO', 'SERVES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
