/**
 * Documented operation × status pairs the suite may leave unexercised, each with the reason. Keys are
 * `operationId status`, or `* status` for every operation. Keep this list short: a status nobody can
 * produce in a test is usually one to remove from the document.
 */
export const ACCEPTED_UNEXERCISED: Record<string, string> = {
};
