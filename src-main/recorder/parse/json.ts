// Tiny, allocation-free accessors for JSON parsed from the wire. Provider payloads are untrusted: every field
// may be missing or of the wrong type, so parsers read through these instead of casting.
import type { JsonValue } from '../../../src-shared/exchange.js';

export type JsonObject = { [key: string]: JsonValue };

export function asObject(v: unknown): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
}

export function asArray(v: unknown): JsonValue[] | null {
  return Array.isArray(v) ? (v as JsonValue[]) : null;
}

export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** A finite number, or null. Token counts arrive as integers; anything else (NaN, strings) is "unknown". */
export function asNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** JSON.parse that reports failure instead of throwing. */
export function tryParseJson(text: string): { ok: true; value: JsonValue } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
