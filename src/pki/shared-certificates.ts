/**
 * Development certificates shared by several participant ids (spec §6: "one cert may serve several
 * Participant IDs", CN "optional FQDN via request"): one certificate per slot for an organisation, written
 * under each of its ids' directories (`participants/<ID>/{primary,secondary}.{crt,key}`), so the registry
 * registers it for every id and a client may use either path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../store/files.js';
import type { SharedCertificate } from '../store/fixtures.js';
import { CERTIFICATE_SLOTS, issueClientCertificate, pkiPaths, type DevPki } from './dev-ca.js';

/**
 * Makes each shared slot one certificate for all its ids. Files `ensureDevPki` created just now (one
 * certificate per id) are replaced: by the organisation's existing shared certificate when the other ids
 * hold one (an id added to the organisation), else by a new one. Files that differ because a participant
 * re-issued one id's certificate (`idx-sim certs issue`) are left alone. Returns the files written.
 */
export function ensureSharedCertificates(dir: string, pki: Pick<DevPki, 'ca' | 'created'>, shared: readonly SharedCertificate[]): string[] {
  const paths = pkiPaths(dir);
  const written: string[] = [];
  for (const group of shared) {
    for (const slot of CERTIFICATE_SLOTS) {
      const fresh = group.participantIds.filter((pid) => {
        const path = paths.participantCert(pid, slot);
        return !existsSync(path) || pki.created.includes(path);
      });
      if (fresh.length === 0) continue;
      const kept = group.participantIds.filter((pid) => !fresh.includes(pid));
      const keptCerts = new Set(kept.map((pid) => readFileSync(paths.participantCert(pid, slot), 'utf8')));
      if (keptCerts.size > 1) continue;
      const donor = kept[0];
      const certPem = donor ? readFileSync(paths.participantCert(donor, slot), 'utf8') : undefined;
      const donorKey = donor ? paths.participantKey(donor, slot) : undefined;
      const pair = certPem ? { certPem, keyPem: donorKey && existsSync(donorKey) ? readFileSync(donorKey, 'utf8') : '' } : issueClientCertificate(pki.ca, group.commonName);
      for (const pid of fresh) {
        // Key first, each file atomically (issue 7, defect 9).
        if (pair.keyPem) writeFileAtomically(paths.participantKey(pid, slot), pair.keyPem, 0o600);
        writeFileAtomically(paths.participantCert(pid, slot), pair.certPem, 0o644);
        written.push(paths.participantCert(pid, slot));
      }
    }
  }
  return written;
}
