/**
 * Certificates and keys parsed from PEM once per process. Building a hub parses the same PEM texts again
 * and again — seeding registers every certificate of the certificates directory, the registry's first view
 * parses each one's public key, the hub signer and the token service parse their keys — and the hub is
 * built again in the same process by the control API's reset (and once per test in the suite, where this
 * parsing was the largest part of a test's set-up). The same PEM text always gives an equal, immutable
 * X509Certificate or KeyObject, so they are shared. Bounded: the oldest entry goes first.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

const LIMIT = 512;

function cached<T>(parse: (pem: string) => T): (pem: string) => T {
  const entries = new Map<string, T>();
  return (pem) => {
    let value = entries.get(pem);
    if (value === undefined) {
      value = parse(pem); // throws on a malformed PEM, which is then not kept
      if (entries.size >= LIMIT) entries.delete(entries.keys().next().value!);
      entries.set(pem, value);
    }
    return value;
  };
}

/** `new X509Certificate(pem)`, parsed once. */
export const x509Of = cached((pem) => new X509Certificate(pem));
/** The public key of a certificate (or of a public key PEM), parsed once. */
export const publicKeyOf = cached((pem): KeyObject => createPublicKey(pem));
/** `createPrivateKey(pem)`, parsed once. */
export const privateKeyOf = cached((pem): KeyObject => createPrivateKey(pem));
