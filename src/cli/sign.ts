/**
 * `idx-sim sign`: prints the `x-signature` value for a payload, made exactly as the hub verifies it
 * (spec §3, §13.3), so participants can sign by hand with curl or compare their own signer's output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { CERTIFICATE_SLOTS, type CertificateSlot } from '../domain/certificate-rules.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { MessageSigner, type SignedOver } from '../security/message-signature.js';

export const SIGN_USAGE = `usage: idx-sim sign --participant ID [--slot primary|secondary] [--over json|gzip] [--certs-dir D]
                    [--cert FILE --key FILE] [--no-attributes] <payload>

Prints the x-signature header value (RSA-SHA256;<base64 CMS SignedData>): a detached signature over
<payload> with the participant's certificate (certs/participants/<ID>/<slot>.{crt,key}).
  --over json   <payload> is the uncompressed JSON you will gzip and send (default, IDX_SIM_SIGNATURE_OVER)
  --over gzip   <payload> is the gzip file you will send as the body
  --cert/--key  sign with these files instead (e.g. your own key, for a certificate issued from your CSR)
  --no-attributes  sign the content itself, without signed attributes (like openssl cms -noattr)
`;

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export function signCommand(args: string[], out: (text: string) => void): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      participant: { type: 'string' }, slot: { type: 'string', default: 'primary' }, over: { type: 'string' },
      'certs-dir': { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, 'no-attributes': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(SIGN_USAGE);
    return 0;
  }
  const config = loadConfig({ certsDir: values['certs-dir'] });
  const participantId = values.participant;
  if (!participantId && !(values.cert && values.key)) throw new Error(`--participant is required (or --cert and --key)\n\n${SIGN_USAGE}`);
  if (positionals.length !== 1) throw new Error(`name exactly one payload file\n\n${SIGN_USAGE}`);
  const slot = values.slot as CertificateSlot;
  if (!CERTIFICATE_SLOTS.includes(slot)) throw new Error(`--slot must be primary or secondary, got "${values.slot}"`);
  const over = (values.over ?? config.signatureOver) as SignedOver;
  if (over !== 'json' && over !== 'gzip') throw new Error(`--over must be json or gzip, got "${values.over}"`);

  const payloadPath = positionals[0]!;
  const bytes = readFileSync(payloadPath);
  const isGzip = bytes.subarray(0, 2).equals(GZIP_MAGIC);
  if (over === 'json' && isGzip) throw new Error(`${payloadPath} is gzip; with --over json sign the uncompressed JSON file (the hub verifies the bytes after gunzip)`);
  if (over === 'gzip' && !isGzip) throw new Error(`${payloadPath} is not gzip; with --over gzip sign the gzip file you send as the body (e.g. gzip -c payload.json > body.gz)`);

  const paths = pkiPaths(config.certsDir);
  const certPath = values.cert ?? paths.participantCert(participantId!, slot);
  const keyPath = values.key ?? paths.participantKey(participantId!, slot);
  if (!existsSync(certPath)) throw new Error(`no certificate at ${certPath}; start idx-sim once (it generates the dev certificates) or run idx-sim certs issue`);
  if (!existsSync(keyPath)) {
    throw new Error(`no private key at ${keyPath}: a certificate issued from your CSR leaves the key with you — pass it with --key`);
  }
  const signer = new MessageSigner({ certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') });
  out(`${signer.sign(bytes, { signedAttributes: !values['no-attributes'] })}\n`);
  return 0;
}
