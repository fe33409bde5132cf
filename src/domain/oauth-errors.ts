/**
 * The token endpoint's refusals in the terms of RFC 6749 §5.2, which every OAuth client library reads
 * (`error`, `error_description`), beside the hub's own problem details (docs/spec-variance.md #620, #621).
 */
import type { ErrorCode } from './errors.js';

/**
 * The RFC 6749 §5.2 codes idx-sim sends. Never sent: `invalid_grant` (client credentials carry no grant
 * to be invalid), `unauthorized_client` (every URM API user may use client credentials) and `invalid_scope`
 * (AEMO: scope names the user does not hold are silently ignored, spec §4.8).
 */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/**
 * The §5.2 code of a token-endpoint refusal, or `undefined` when §5.2 has none (429 quotas, 5xx: the
 * request was not wrong). A 401 is always a client that was not accepted — wrong or missing credentials,
 * or a client certificate the hub refuses (RFC 8705 §2 reports mTLS client failures as invalid_client too).
 */
export function oauthErrorOf(code: ErrorCode, status: number): OAuthErrorCode | undefined {
  if (code === 'IDX_ERR_UNSUPPORTED_GRANT_TYPE') return 'unsupported_grant_type';
  if (status === 401) return 'invalid_client';
  if (status >= 400 && status < 500 && status !== 429) return 'invalid_request';
  return undefined;
}

/**
 * `error_description` may hold only printable ASCII without `"` and `\` (RFC 6749 §5.2), so the
 * problem's `detail` is transliterated: quotes become `'`, dashes `-`, `§` `section `, anything else `?`.
 */
export function oauthDescription(detail: string): string {
  return detail
    .replace(/["“”‘’]/g, "'")
    .replace(/[—–]/g, '-')
    .replace(/§/g, 'section ')
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}
