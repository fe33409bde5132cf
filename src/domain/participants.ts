/**
 * Market participants and the URM entitlements they hold (spec §6, §11; seed 000 Table 4).
 */
export type MarketRole = 'MC' | 'MDP' | 'LNSP';

export interface Participant {
  readonly participantId: string;
  readonly name: string;
  readonly role: MarketRole;
}

/** URM entities IDX knows (spec §6 URM table). */
export const URM_ENTITIES = [
  'PQD_BPQD',
  'FCTRL_FCTRL',
  'FCTRL_STATUS',
  'TRANSLOG_TRANSLOG',
  'ARCH_RETRIEVE',
  'EVENT_NOTIFY',
] as const;
export type UrmEntity = (typeof URM_ENTITIES)[number];

export function isUrmEntity(name: string): name is UrmEntity {
  return (URM_ENTITIES as readonly string[]).includes(name);
}

export type Crud = 'C' | 'R' | 'U' | 'D';

/** participantId → entity → CRUD letters, e.g. `{"MDPONE": {"PQD_BPQD": "C"}}` (spec §13.1 token claim). */
export type Entitlements = Record<string, Partial<Record<UrmEntity, string>>>;

export interface UrmUser {
  readonly clientId: string;
  readonly entitlements: Entitlements;
}

/** Keeps only the entitlements for the requested entity names; unknown or unentitled names drop out (spec §4.8). */
export function grantScopes(user: UrmUser, requested: readonly string[]): { scope: UrmEntity[]; participants: Entitlements } {
  const wanted = new Set(requested.filter(isUrmEntity));
  const participants: Entitlements = {};
  const granted = new Set<UrmEntity>();
  for (const [participantId, entities] of Object.entries(user.entitlements)) {
    for (const [entity, crud] of Object.entries(entities) as [UrmEntity, string][]) {
      if (!wanted.has(entity) || !crud) continue;
      (participants[participantId] ??= {})[entity] = crud;
      granted.add(entity);
    }
  }
  return { scope: URM_ENTITIES.filter((e) => granted.has(e)), participants };
}

export function hasPermission(entitlements: Entitlements, participantId: string, entity: UrmEntity, crud: Crud): boolean {
  return entitlements[participantId]?.[entity]?.includes(crud) ?? false;
}
