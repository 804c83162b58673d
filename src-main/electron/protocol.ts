// The renderer's origin: `lunaroute://app/…` serves the built Svelte app (dist/renderer) to the window, so the
// page never runs from file:// (which would grant it every local file as "same origin"). The handler is plain
// Fetch API code (Request → Response), registered by main.ts with protocol.handle and unit-tested in Node.
//
// Threat model: the only page on this origin is our own bundle. Requests for anything outside dist/renderer
// (`..`, encoded separators, absolute paths), other hosts or methods than GET/HEAD get 404/405; every answer
// carries a strict CSP (no inline script, no eval, no network: the page talks to the core only through the
// preload bridge), nosniff and no-referrer.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MIME } from '../ui-server/server.js';

export const APP_SCHEME = 'lunaroute';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Privileges of the scheme (protocol.registerSchemesAsPrivileged, before app ready): a standard, secure
 *  origin so relative URLs, module scripts and the secure-context APIs work as on https. */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

export const WINDOW_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'none'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
  "object-src 'none'";

const HEADERS = {
  'content-security-policy': WINDOW_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Whether a URL is on our app origin (Node's URL reports origin "null" for custom schemes: compare parts). */
export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The file a request maps to inside rendererDir, or null (wrong host, traversal, encoded separators). */
export function resolveRendererPath(rendererDir: string, rawUrl: string): string | null {
  if (!isAppUrl(rawUrl)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(rawUrl).pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').includes('..')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const abs = path.resolve(root, '.' + path.posix.normalize(rel));
  return abs.startsWith(root + path.sep) ? abs : null;
}

const text = (status: number, body: string): Response =>
  new Response(body, { status, headers: { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' } });

/** The protocol handler serving rendererDir. */
export function rendererRequestHandler(rendererDir: string): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed');
    const file = resolveRendererPath(rendererDir, req.url);
    if (!file) return text(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return file.endsWith(`${path.sep}index.html`)
        ? text(503, `The LunaRoute UI is not built (${rendererDir} is missing): run npm run build:renderer.`)
        : text(404, 'not found');
    }
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...HEADERS, 'content-type': type, 'cache-control': 'no-cache' },
    });
  };
}
