/**
 * Static files of the web pages at /web-assets/: our stylesheet and page scripts (src/web/assets/, read
 * once at start-up) and uPlot from node_modules (MIT). Served by idx-sim itself: nothing is fetched from
 * another origin. Only the files listed at start-up exist — no path is ever joined from the URL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { addSecurityHeaders } from './http.js';

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Where our own assets live, from src/ or dist/src/ alike (the Docker image copies src/web/assets). */
export const WEB_ASSETS_DIR = join(PROJECT_ROOT, 'src', 'web', 'assets');
const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

interface Asset { type: string; body: Buffer }

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(WEB_ASSETS_DIR)) {
    const type = TYPES[name.split('.').pop() ?? ''];
    if (type) assets.set(name, { type, body: readFileSync(join(WEB_ASSETS_DIR, name)) });
  }
  assets.set('uplot/uPlot.iife.min.js', { type: TYPES.js!, body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')) });
  assets.set('uplot/uPlot.min.css', { type: TYPES.css!, body: readFileSync(join(uplotDir, 'uPlot.min.css')) });
  return assets;
}

export async function webAssetRoutes(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  app.get('/web-assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const asset = assets.get(name);
    if (!asset) throw new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no web asset ${name.slice(0, 100)}`);
    addSecurityHeaders(reply.header('cache-control', 'no-cache'));
    return reply.type(asset.type).send(asset.body);
  });
}
