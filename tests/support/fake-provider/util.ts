// Small helpers shared by the fake provider's dialects and transports: JSON guards, ids, hashes, delays, text
// chopped into deltas, one streamed event, and a JSON reply.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';

export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
export function id(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `text` in at most `n` nearly equal parts (deltas of a tool call's arguments). */
export function splitInto(text: string, n: number): string[] {
  if (n <= 1 || text.length < n) return [text];
  const size = Math.ceil(text.length / n);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

/** `text` as words, each keeping its trailing space: one delta per word. */
export function words(text: string): string[] {
  return text.split(/(?<= )/);
}

/** One streamed event: an SSE frame, or a WebSocket text frame (the payload). */
export interface Ev {
  /** SSE `event:` name (omitted for Chat). */
  event?: string;
  /** JSON payload, or a raw string such as `[DONE]`. */
  data: Json | string;
}

/** An error in a dialect's real shape: status, headers and JSON body. */
export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  gzip = false,
): void {
  let payload = Buffer.from(JSON.stringify(body));
  const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (gzip) {
    payload = zlib.gzipSync(payload);
    h['content-encoding'] = 'gzip';
  }
  h['content-length'] = String(payload.length);
  res.writeHead(status, h);
  res.end(payload);
}
