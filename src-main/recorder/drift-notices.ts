// Client drift, as the user sees it: the first recorded response of a client version that holds things the
// parsers do not understand (a response line's `unknown`) raises one notice for that client and version, for the
// life of the process. A notice raised while no window listens waits until one does. Reads redacted lines only.
import type { UnknownItem, UnknownKind } from '../../src-shared/exchange.js';
import type { ClientDriftEvent } from '../../src-shared/live.js';
import type { ClientKind, RecordLine } from '../../src-shared/records.js';
import { cleanName, MAX_UNKNOWN_ENTRIES } from './parse/drift.js';

/** Client versions remembered (a user-agent could vary without end); past this, no more notices. */
const MAX_VERSIONS = 1_000;
/** Notices held while nobody listens. */
const MAX_PENDING = 20;
/** Names quoted in a notice's message. */
const NAMES_IN_MESSAGE = 4;

const CLIENT_NAMES: Record<ClientKind, string> = {
  claude_code: 'Claude Code',
  codex: 'Codex',
  opencode: 'OpenCode',
  sdk: 'An SDK client',
  other: 'A client',
};

const KIND_WORDS: Record<UnknownKind, [string, string]> = {
  event: ['kind of event', 'kinds of event'],
  block: ['kind of content block', 'kinds of content block'],
  delta: ['kind of delta', 'kinds of delta'],
  field: ['field', 'fields'],
};

/** "Claude Code 2.1.332 sent 2 kinds of event this version of LunaRoute does not understand (a, b) — …". */
export function driftMessage(
  client: ClientKind,
  version: string | null,
  items: readonly UnknownItem[],
): string {
  const who = `${CLIENT_NAMES[client] ?? CLIENT_NAMES.other}${version ? ` ${version}` : ''}`;
  const byKind = new Map<UnknownKind, number>();
  for (const i of items) byKind.set(i.kind, (byKind.get(i.kind) ?? 0) + 1);
  const parts = [...byKind].map(([kind, n]) => `${n} ${KIND_WORDS[kind]?.[n === 1 ? 0 : 1] ?? kind}`);
  const what = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  const names = items.slice(0, NAMES_IN_MESSAGE).map((i) => i.name);
  if (items.length > NAMES_IN_MESSAGE) names.push('…');
  return `${who} sent ${what} this version of LunaRoute does not understand (${names.join(', ')}) — recorded as received.`;
}

export class DriftNotices {
  private readonly seen = new Set<string>();
  private pending: ClientDriftEvent[] = [];

  /** Feed every line written; returns the notice when this line raises one (its first for a client version). */
  observe(line: RecordLine): ClientDriftEvent | null {
    if (line.type !== 'response' || !line.unknown || line.unknown.length === 0) return null;
    const client = line.client ?? 'other';
    const version = line.client_version ?? null;
    const key = `${client}@${version ?? ''}`;
    if (this.seen.has(key) || this.seen.size >= MAX_VERSIONS) return null;
    this.seen.add(key);
    const items = line.unknown
      .slice(0, MAX_UNKNOWN_ENTRIES)
      .map((i) => ({ kind: i.kind, name: cleanName(i.name), count: i.count }));
    return {
      type: 'client_drift',
      at: line.at,
      client,
      client_version: version,
      dialect: line.response?.dialect ?? null,
      items,
      message: driftMessage(client, version, items),
    };
  }

  /** Hold a notice nobody could see yet (the oldest go first past a small cap). */
  hold(e: ClientDriftEvent): void {
    this.pending.push(e);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  /** The notices held, once: to be sent when a window starts listening. */
  takeHeld(): ClientDriftEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
