/**
 * Loads the readable fixture files (participants, URM users, NMI standing data) into the store.
 * Fixture rows are replaced on every start; rows added at run time are kept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUrmEntity, type Entitlements, type MarketRole, type Participant } from '../domain/participants.js';
import { expandNmis } from '../domain/nmi.js';
import type { NmiRoleRow, ParticipantStore } from './participant-store.js';

export { expandNmis };

interface ParticipantsFile {
  participants: Participant[];
  /** Companies holding several participant ids, optionally with one certificate for all of them (spec §6). */
  organisations?: Array<{ name: string; participantIds: string[]; sharedCertificateCommonName?: string }>;
}

/** One certificate (per slot) serving several participant ids (spec §6: "one cert may serve several Participant IDs"). */
export interface SharedCertificate {
  organisation: string;
  participantIds: string[];
  commonName: string;
}
interface UsersFile {
  roleEntitlements: Record<MarketRole, Record<string, string>>;
  users: Array<{ clientId: string; secret: string; participants: string[] }>;
}
interface StandingDataFile {
  nmis: Array<{ nmis: string; roles: Array<{ role: MarketRole; participantId: string; from: string; to?: string }> }>;
}

const readJson = <T>(dir: string, file: string): T => {
  try {
    return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
  } catch (err) {
    throw new Error(`cannot read fixture ${join(dir, file)}: ${(err as Error).message}`);
  }
};

export interface Fixtures {
  participants: Participant[];
  users: Array<{ clientId: string; secret: string; entitlements: Entitlements }>;
  roles: NmiRoleRow[];
  sharedCertificates: SharedCertificate[];
}

export function readFixtures(dir: string): Fixtures {
  const { participants, organisations = [] } = readJson<ParticipantsFile>(dir, 'participants.json');
  const byId = new Map(participants.map((p) => [p.participantId, p]));
  const sharedCertificates: SharedCertificate[] = [];
  const sharing = new Set<string>();
  for (const o of organisations) {
    for (const pid of o.participantIds) if (!byId.has(pid)) throw new Error(`organisation ${o.name} names unknown participant ${pid}`);
    if (o.sharedCertificateCommonName === undefined) continue;
    for (const pid of o.participantIds) {
      if (sharing.has(pid)) throw new Error(`participant ${pid} is in two organisations sharing a certificate`);
      sharing.add(pid);
    }
    sharedCertificates.push({ organisation: o.name, participantIds: o.participantIds, commonName: o.sharedCertificateCommonName });
  }
  const usersFile = readJson<UsersFile>(dir, 'urm-users.json');
  const users = usersFile.users.map((u) => {
    const entitlements: Entitlements = {};
    for (const pid of u.participants) {
      const p = byId.get(pid);
      if (!p) throw new Error(`URM user ${u.clientId} names unknown participant ${pid}`);
      const entities = usersFile.roleEntitlements[p.role] ?? {};
      for (const name of Object.keys(entities)) if (!isUrmEntity(name)) throw new Error(`unknown URM entity ${name} in urm-users.json`);
      entitlements[pid] = { ...entities };
    }
    return { clientId: u.clientId, secret: u.secret, entitlements };
  });
  const roles: NmiRoleRow[] = [];
  for (const entry of readJson<StandingDataFile>(dir, 'nmi-standing-data.json').nmis) {
    for (const nmi of expandNmis(entry.nmis)) {
      for (const r of entry.roles) {
        if (!byId.has(r.participantId)) throw new Error(`standing data for ${nmi} names unknown participant ${r.participantId}`);
        roles.push({ nmi, role: r.role, participantId: r.participantId, fromDate: r.from, toDate: r.to ?? null });
      }
    }
  }
  return { participants, users, roles, sharedCertificates };
}

export function loadFixtures(store: ParticipantStore, dir: string): Fixtures {
  const fixtures = readFixtures(dir);
  store.replaceFromSource('fixture', fixtures);
  return fixtures;
}
