/**
 * The contract, served: raw OpenAPI files under /openapi/ and a rendered view at /docs (swagger-ui,
 * served from the installed swagger-ui-dist package — no CDN, works offline). Not IDX API routes, so
 * no client certificate is needed to read them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** API documents to list, in reading order; common.yaml holds shared components only. */
function apiDocuments(ctx: AppContext): Array<{ file: string; title: string }> {
  return [...ctx.contract.documents.entries()]
    .filter(([, doc]) => Object.keys(doc.paths ?? {}).length > 0)
    .map(([file, doc]) => ({ file, title: String(doc.info?.title ?? file) }));
}

function docsPage(docs: Array<{ file: string; title: string }>): string {
  const urls = JSON.stringify(docs.map((d) => ({ url: `/openapi/${d.file}`, name: d.title })));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>idx-sim API documentation</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body>
<p id="idx-authorize-help" style="font-family:sans-serif;margin:1em 2em">
<b>Trying the APIs from this page</b>: every IDX API, the token endpoint included, is mTLS-only, so the browser must
present your participant certificate — import it once (<code>openssl pkcs12 -export -in certs/participants/&lt;ID&gt;/primary.crt
-inkey certs/participants/&lt;ID&gt;/primary.key -out &lt;ID&gt;.p12</code>, then your browser's certificate settings) and choose it
when asked. Then <b>Authorize</b> → <code>idxOAuth</code>: <code>client_id</code>/<code>client_secret</code> are the URM API user
(e.g. <code>lnspnorth-api</code> / <code>lnspnorth-secret</code>), the scopes are URM entities; the browser posts to
<code>/oauth/v1/token</code> and sends the token on every call. <code>mutualTLS</code> needs nothing here: it is the certificate.
The control API (<code>adminKey</code>) takes <code>IDX_SIM_ADMIN_KEY</code>. Without a certificate the token request answers 401
<code>IDX_ERR_CLIENT_CERT_REQUIRED</code>.</p>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ urls: ${urls}, "urls.primaryName": ${JSON.stringify(docs.find((d) => d.file === 'pqd.yaml')?.title ?? docs[0]?.title ?? '')},
  dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout', deepLinking: true,
  persistAuthorization: true });
// OAuth 2.0 client credentials (idxOAuth): scopes are space-separated URM entity names, as the token endpoint reads them.
window.ui.initOAuth({ scopeSeparator: ' ' });</script>
</body></html>`;
}

export async function docsRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const page = docsPage(apiDocuments(ctx));
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/docs/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const type = ASSETS[file];
    if (!type) throw new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no documentation asset ${file}`);
    return reply.type(type).header('cache-control', 'public, max-age=3600').send(readFileSync(join(swaggerDir, file)));
  });
  app.get('/openapi', async () => ({ documents: [...ctx.contract.documents.keys()].map((file) => ({ file, url: `/openapi/${file}` })) }));
  app.get('/openapi/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const source = ctx.contract.source(file);
    if (source === undefined) throw new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no OpenAPI document ${file}; see /openapi`);
    return reply.type('application/yaml; charset=utf-8').send(source);
  });
}
