/**
 * Who may see and do what in the IDX Web App (seed 000 Table 3 "IDX Interface Access by Market Role" and
 * Table 4 "URM Entities"): each page needs a URM entity, exactly as its API does; the menu shows only
 * the pages the signed-in user's entities allow for the participant it acts for, and every route checks
 * the same rule, so a page or action missing from the menu is refused when called directly (403).
 *   Transaction Log     TRANSLOG_TRANSLOG R   (LNSP, MC)
 *   Outbound Archive    ARCH_RETRIEVE R       (LNSP)
 *   Flow Control        FCTRL_FCTRL R; the manual stop switch FCTRL_FCTRL U   (LNSP)
 *   Participant Status  FCTRL_STATUS R        (LNSP, MC)
 *   Messages            PQD_BPQD R (download), the delete permission letter for delete   (LNSP)
 * The entitlements are read from the URM users on every request: one source of truth, and a change made
 * through the control API applies at once.
 */
import { IdxError } from '../../domain/errors.js';
import { hasPermission, type Crud, type Entitlements, type UrmEntity } from '../../domain/participants.js';

export interface PortalUser {
  clientId: string;
  entitlements: Entitlements;
}

export type WebAppPageId = 'translog' | 'archive' | 'flow-control' | 'status' | 'messages';

export interface WebAppPage {
  id: WebAppPageId;
  path: string;
  label: string;
  entity: UrmEntity;
  letter: Crud;
  summary: string;
}

export const WEBAPP_PAGES: readonly WebAppPage[] = [
  { id: 'translog', path: '/webapp/translog', label: 'Transaction Log', entity: 'TRANSLOG_TRANSLOG', letter: 'R', summary: 'Search, view and download the messages you sent or received, export CSV.' },
  { id: 'archive', path: '/webapp/archive', label: 'Outbound Archive', entity: 'ARCH_RETRIEVE', letter: 'R', summary: 'Search and retrieve archived outbound messages, re-signed by the hub.' },
  { id: 'flow-control', path: '/webapp/flow-control', label: 'Flow Control', entity: 'FCTRL_FCTRL', letter: 'R', summary: 'Queue counts against the watermarks, breaches, and the manual stop.' },
  { id: 'status', path: '/webapp/status', label: 'Participant Status', entity: 'FCTRL_STATUS', letter: 'R', summary: 'Current and historical status of every business function and resource.' },
  { id: 'messages', path: '/webapp/messages', label: 'Messages', entity: 'PQD_BPQD', letter: 'R', summary: 'Your BPQD queue: download or delete messages.' },
];

export function pageOf(id: WebAppPageId): WebAppPage {
  return WEBAPP_PAGES.find((p) => p.id === id)!;
}

export function may(user: PortalUser, participantId: string, entity: UrmEntity, letter: Crud): boolean {
  return hasPermission(user.entitlements, participantId, entity, letter);
}

export function allowedPages(user: PortalUser, participantId: string): WebAppPage[] {
  return WEBAPP_PAGES.filter((p) => may(user, participantId, p.entity, p.letter));
}

const WORDS: Record<Crud, string> = { C: 'create', R: 'read', U: 'update', D: 'delete' };

/** 403 IDX_ERR_ENTITY_NOT_GRANTED unless the user holds the entity and letter for the participant. */
export function requireEntity(user: PortalUser, participantId: string, entity: UrmEntity, letter: Crud, what: string): void {
  if (may(user, participantId, entity, letter)) return;
  const held = user.entitlements[participantId]?.[entity];
  throw new IdxError('IDX_ERR_ENTITY_NOT_GRANTED',
    `${what} needs URM entity ${entity} with ${WORDS[letter]} (${letter}) for ${participantId}; URM user ${user.clientId} ` +
    `${held ? `holds only "${held}"` : `holds no ${entity} for ${participantId}`}. Ask your Participant Administrator to grant it (seed 000 Tables 3 and 4).`,
    { errors: [{ in: 'header', name: 'Cookie', code: 'ENTITY', message: `${entity}:${letter} for ${participantId} not granted to ${user.clientId}` }] });
}
