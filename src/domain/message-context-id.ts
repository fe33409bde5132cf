/**
 * messageContextId grammar, PQD-OAS (spec §3):
 *   [BusinessFunctionID 0-9_a-z]{1,4} "~" [BusinessFunctionResourceID 0-9_a-z]{1,8} "~" [Priority h|m|l]
 *   "~" [InitiatingParticipantID]{1,10} "~" [UniqueID 0-9_a-z_-]{1,36}
 * The participant part is lower-case in AEMO's examples although x-initiatingParticipantId is upper-case,
 * so it is accepted in either case and compared case-insensitively (docs/spec-variance.md).
 */
export type PriorityLetter = 'h' | 'm' | 'l';
export type PriorityWord = 'High' | 'Medium' | 'Low';

export const PRIORITY_WORD: Record<PriorityLetter, PriorityWord> = { h: 'High', m: 'Medium', l: 'Low' };
export const PRIORITY_LETTER: Record<PriorityWord, PriorityLetter> = { High: 'h', Medium: 'm', Low: 'l' };

/** The whole grammar as one regular expression (the pattern in pqd.yaml), for catalogues and documents. */
export const MESSAGE_CONTEXT_ID_PATTERN = '^[0-9_a-z]{1,4}~[0-9_a-z]{1,8}~[hml]~[0-9A-Za-z]{1,10}~[0-9_a-z-]{1,36}$';

export interface MessageContextId {
  /** As sent. */
  readonly raw: string;
  /** Lower-cased: the form idx-sim stores, compares and looks up. */
  readonly key: string;
  readonly businessFunctionId: string;
  readonly businessFunctionResourceId: string;
  readonly priority: PriorityLetter;
  /** Upper-cased, comparable with x-initiatingParticipantId. */
  readonly participantId: string;
  readonly uniqueId: string;
}

const PARTS: ReadonlyArray<{ name: string; pattern: RegExp; rule: string }> = [
  { name: 'businessFunctionId', pattern: /^[0-9_a-z]{1,4}$/, rule: '1-4 of 0-9 _ a-z' },
  { name: 'businessFunctionResourceId', pattern: /^[0-9_a-z]{1,8}$/, rule: '1-8 of 0-9 _ a-z' },
  { name: 'priority', pattern: /^[hml]$/, rule: 'one of h, m, l' },
  { name: 'initiatingParticipantId', pattern: /^[0-9A-Za-z]{1,10}$/, rule: '1-10 letters or digits' },
  { name: 'uniqueId', pattern: /^[0-9_a-z-]{1,36}$/, rule: '1-36 of 0-9 _ - a-z' },
];

export type ParseResult =
  | { ok: true; value: MessageContextId }
  | { ok: false; reason: string };

export function parseMessageContextId(raw: string): ParseResult {
  const parts = raw.split('~');
  if (parts.length !== PARTS.length) {
    return {
      ok: false,
      reason: `expected 5 parts separated by "~" (businessFunctionId~resourceId~priority~participantId~uniqueId), found ${parts.length}`,
    };
  }
  for (let i = 0; i < PARTS.length; i++) {
    const spec = PARTS[i]!;
    if (!spec.pattern.test(parts[i]!)) {
      return { ok: false, reason: `part ${i + 1} (${spec.name}) "${parts[i]}" must be ${spec.rule}` };
    }
  }
  const [bf, resource, priority, participant, unique] = parts as [string, string, PriorityLetter, string, string];
  return {
    ok: true,
    value: {
      raw,
      key: raw.toLowerCase(),
      businessFunctionId: bf,
      businessFunctionResourceId: resource,
      priority,
      participantId: participant.toUpperCase(),
      uniqueId: unique,
    },
  };
}

export function formatMessageContextId(p: {
  businessFunctionId: string;
  businessFunctionResourceId: string;
  priority: PriorityLetter;
  participantId: string;
  uniqueId: string;
}): string {
  return [p.businessFunctionId, p.businessFunctionResourceId, p.priority, p.participantId.toLowerCase(), p.uniqueId].join('~');
}
