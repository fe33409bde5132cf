/**
 * `idx-sim certs`: the certificate registry from the command line (spec §6) — list, (re)issue from the dev
 * CA or from a participant's CSR, rotate to the other slot, revoke. It works on the data and certificates
 * directories directly, so it can run while the server does: the server notices the change on its next
 * request (the registry watches SQLite's data_version).
 */
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type ResolvedConfig } from '../config.js';
import { checkCommonName, CERTIFICATE_SLOTS, type CertificateSlot } from '../domain/certificate-rules.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import { writeFileAtomically } from '../store/files.js';
import { ensureDevPki, issueClientCertificate, participantCommonName, pkiPaths, readCertificateRequest, type KeyAndCert } from '../pki/dev-ca.js';
import { CertificateRegistry, registerCertificatesFromDir } from '../security/certificate-registry.js';
import { CertificateStore } from '../store/certificate-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { readFixtures } from '../store/fixtures.js';

export const CERTS_USAGE = `usage: idx-sim certs <list|issue|rotate|revoke> [options]

  list    [--all]                                                   registered certificates (--all: also replaced ones)
  issue   --participant ID --slot primary|secondary [--csr FILE] [--days N]
          (re)issue a certificate from the dev CA and register it in the slot; with --csr, for the key
          in your CSR (CN <ID>-NonProd, RSA ≥ 2048), else a new key is generated next to it
  rotate  --participant ID --to primary|secondary                   make that slot the active certificate
  revoke  --participant ID --slot primary|secondary                 refused from the next request on

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
  const participantIds = readFixtures(config.fixturesDir).participants.map((p) => p.participantId);
  const pki = ensureDevPki(config.certsDir, participantIds, config.serverHosts);
  const db = openDatabase({ path: config.databasePath, synchronous: config.sqliteSynchronous });
  const registry = new CertificateRegistry(new CertificateStore(db), config.certificateEnvironment);
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
      participant: { type: 'string' }, slot: { type: 'string' }, to: { type: 'string' }, csr: { type: 'string' }, days: { type: 'string' },
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
    const participantId = values.participant;
    if (!participantId) throw new Error(`--participant is required\n\n${CERTS_USAGE}`);
    if (!ws.participantIds.includes(participantId)) throw new Error(`unknown participant ${participantId}; known: ${ws.participantIds.join(', ')}`);
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
      out(`revoked ${participantId}'s ${slot} certificate (serial ${cert!.serialNumber}): refused for mTLS and signatures from the next request on.\n`);
    } else {
      out(issue(ws, participantId, slotOf(values.slot, '--slot'), values.csr, values.days, now));
    }
    return 0;
  } finally {
    ws.db.close();
  }
}

function issue(ws: Workspace, participantId: string, slot: CertificateSlot, csrPath: string | undefined, daysText: string | undefined, now: number): string {
  const days = daysText === undefined ? 3 * 365 : Number(daysText);
  if (!Number.isInteger(days) || days < 1 || days > 10 * 365) throw new Error(`--days must be a whole number of days from 1 to 3650, got "${daysText}"`);
  const environment = ws.config.certificateEnvironment;
  const paths = pkiPaths(ws.config.certsDir);
  const certPath = paths.participantCert(participantId, slot);
  const keyPath = paths.participantKey(participantId, slot);
  const validity = { now, notAfter: now + days * DAY_MS };
  let issued: KeyAndCert;
  if (csrPath) {
    // AEMO's process starts from the participant's CSR (spec §6): the key never leaves the participant.
    const csr = readCertificateRequest(readFileSync(csrPath, 'utf8'));
    const cn = checkCommonName(csr.commonName, environment);
    if (!cn.ok) throw new Error(`the CSR's ${cn.message}`);
    if (cn.participantId !== participantId) throw new Error(`the CSR's CN "${csr.commonName}" names ${cn.participantId}, not ${participantId}`);
    if (csr.keyBits < MIN_KEY_BITS) throw new Error(`the CSR's RSA key has ${csr.keyBits} bits; AEMO certificates are RSA ${MIN_KEY_BITS} (spec §6)`);
    issued = issueClientCertificate(ws.ca, csr.commonName!, { ...validity, publicKeyPem: csr.publicKeyPem });
  } else {
    issued = issueClientCertificate(ws.ca, participantCommonName(participantId, environment), validity);
  }
  mkdirSync(dirname(certPath), { recursive: true });
  ws.registry.register(participantId, slot, issued.certPem, now);
  // Key before certificate, each written atomically: a crash in between leaves a pair the next start
  // recognises as broken (src/pki/dev-ca.ts), never a certificate next to a key that is not its own.
  if (issued.keyPem) writeFileAtomically(keyPath, issued.keyPem, 0o600);
  else if (existsSync(keyPath)) rmSync(keyPath); // the old key no longer matches the certificate in the slot
  writeFileAtomically(certPath, issued.certPem, 0o644);
  const cert = ws.registry.view().current(participantId, slot)!;
  const rel = (p: string) => relative(process.cwd(), p) || p;
  return `issued ${participantId}'s ${slot} certificate: CN ${cert.commonName}, serial ${cert.serialNumber}, valid ${formatMarketDateTime(cert.validFrom)} to ${formatMarketDateTime(cert.validTo)}\n` +
    `  wrote ${rel(certPath)}${issued.keyPem ? ` and ${rel(keyPath)}` : ` (the key stays with you: sign with idx-sim sign --key <your key>)`}; it replaces the previous ${slot} certificate from the next request on\n`;
}

function listing(ws: Workspace, all: boolean): string {
  const view = ws.registry.view();
  const rows = view.certificates.filter((c) => all || c.replacedAt === null).map((c) => [
    c.participantId,
    c.slot,
    view.activeSlot(c.participantId).slot === c.slot && c.replacedAt === null ? 'active' : '',
    c.replacedAt !== null ? 'replaced' : c.revokedAt !== null ? 'revoked' : 'registered',
    c.commonName,
    c.serialNumber,
    formatMarketDateTime(c.validFrom),
    formatMarketDateTime(c.validTo),
  ]);
  const header = ['PARTICIPANT', 'SLOT', 'ACTIVE', 'STATUS', 'CN', 'SERIAL', 'VALID FROM', 'VALID TO'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
