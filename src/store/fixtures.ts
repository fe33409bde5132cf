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

interface ParticipantsFile { participants: Participant[] }
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
}

export function readFixtures(dir: string): Fixtures {
  const { participants } = readJson<ParticipantsFile>(dir, 'participants.json');
  const byId = new Map(participants.map((p) => [p.participantId, p]));
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
  return { participants, users, roles };
}

export function loadFixtures(store: ParticipantStore, dir: string): Fixtures {
  const fixtures = readFixtures(dir);
  store.replaceFromSource('fixture', fixtures);
  return fixtures;
}
