// Per-response log of what the parsers did not recognise (UnknownItem): counts by kind and name, and the
// occurrences themselves, as received, within a budget per response so a flood of some new event cannot grow a
// recording without bound (what does not fit is counted, never silently lost). Also keeps raw Anthropic deltas
// of blocks kept whole. Pure: no I/O.
import type { JsonValue, UnknownItem, UnknownKind } from '../../../src-shared/exchange.js';
import { unknownKeys } from './known.js';

/** Distinct unknown entries per response; later ones are counted under a `(more)` entry of their kind. */
export const MAX_UNKNOWN_ENTRIES = 32;
/** Longest name kept (provider strings are untrusted). */
export const MAX_NAME_CHARS = 100;
/** JSON characters of raw items (`received`, other-block `deltas`) kept per response. */
export const RAW_BUDGET_CHARS = 256 * 1024;
/** The start of a value too big for the rest of the budget is kept only if at least this much is left. */
const MIN_PREFIX_CHARS = 1024;

/** A name fit for storage and display: control characters replaced, length capped. */
export function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const n = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return n.length > MAX_NAME_CHARS ? `${n.slice(0, MAX_NAME_CHARS - 1)}…` : n;
}

export class DriftLog {
  private readonly entries = new Map<string, UnknownItem>();
  private budget = RAW_BUDGET_CHARS;

  get size(): number {
    return this.entries.size;
  }

  /**
   * Record one occurrence of an unknown `kind`/`name`. `received` is the occurrence as received (omit it when
   * the item is kept elsewhere, e.g. an unknown block in the content).
   */
  note(kind: UnknownKind, name: string, received?: JsonValue): void {
    let clean = cleanName(name === '' ? '(empty)' : name);
    let key = `${kind}\u0000${clean}`;
    let e = this.entries.get(key);
    if (e === undefined && this.entries.size >= MAX_UNKNOWN_ENTRIES) {
      clean = '(more)';
      key = `${kind}\u0000${clean}`;
      e = this.entries.get(key);
    }
    if (e === undefined) {
      e = { kind, name: clean, count: 0 };
      this.entries.set(key, e);
    }
    e.count++;
    if (received === undefined) return;
    const kept = this.keep(received);
    if (kept === undefined) e.omitted = (e.omitted ?? 0) + 1;
    else (e.received ??= []).push(kept);
  }

  /** Logs each field of `o` that `known` lacks as `field` drift named `<place>.<field>`, with its value. */
  fields(place: string, o: { [key: string]: JsonValue }, known: ReadonlySet<string> | undefined): void {
    if (known === undefined) return;
    for (const k of unknownKeys(o, known)) this.note('field', `${place}.${k}`, o[k]);
  }

  /**
   * `value` if it fits in what is left of the budget, a truncation marker with the start of its JSON if only a
   * part fits, or undefined once the budget is spent (the caller counts it as omitted).
   */
  keep(value: JsonValue): JsonValue | undefined {
    if (this.budget <= 0) return undefined;
    const json = JSON.stringify(value) ?? 'null';
    if (json.length <= this.budget) {
      this.budget -= json.length;
      return value;
    }
    const left = this.budget;
    this.budget = 0;
    if (left < MIN_PREFIX_CHARS) return undefined;
    return { $truncated: json.length, json: json.slice(0, left) };
  }

  /** The entries in order of first occurrence (copies), or undefined when there are none. */
  list(): UnknownItem[] | undefined {
    if (this.entries.size === 0) return undefined;
    const out: UnknownItem[] = [];
    for (const e of this.entries.values()) {
      const c: UnknownItem = { kind: e.kind, name: e.name, count: e.count };
      if (e.received) c.received = e.received.slice();
      if (e.omitted) c.omitted = e.omitted;
      out.push(c);
    }
    return out;
  }
}
