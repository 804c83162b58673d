// Context composition: what one request's input is made of — system prompt, tool definitions (built-in, and MCP
// tools by server), conversation messages, tool results by tool, images/documents, thinking sent back. Each part
// is estimated from its characters (≈ 4 per token; an image as 1,600 tokens, whatever its base64 size), then
// the estimates are scaled so the parts sum to what the provider billed as input (input + cache read + cache
// write). Pure. A session re-sends the same message objects every turn (blocks are shared by reference when a
// body is rebuilt), so a ContextMeter measures each message once per session view, not once per request.
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { Context, ContextPart, ContextPartKind } from '../../src-shared/insight.js';
import { asArray, asObject, asString, type JsonObject } from '../recorder/parse/json.js';

/** Characters per token for text and JSON (a rough constant; the scaling to the provider's count fixes totals). */
const CHARS_PER_TOKEN = 4;
/** An image costs about (width·height)/750 tokens, capped near 1,600 by downscaling; we do not decode sizes. */
const IMAGE_TOKENS = 1_600;
/** A base64 document (PDF): about a token per 12 bytes of file, a guess between text-heavy and scanned pages. */
const DOCUMENT_BYTES_PER_TOKEN = 12;

/** One measured piece, before tool names are resolved: `toolId` names the call a tool result answers. */
interface Piece {
  kind: ContextPartKind;
  name?: string;
  toolId?: string;
  tokens: number;
}

interface Measured {
  pieces: Piece[];
  /** Tool calls made in this item: id → tool name (to name the results). */
  calls: [string, string][];
}

/** Characters of the strings in a JSON value (keys included), skipping base64 payloads. */
function chars(v: JsonValue | undefined): number {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number' || typeof v === 'boolean') return 4;
  if (v === null || v === undefined) return 0;
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += chars(x) + 1;
  else for (const [k, x] of Object.entries(v)) n += k.length + chars(x) + 2;
  return n;
}

const textTokens = (v: JsonValue | undefined): number => chars(v) / CHARS_PER_TOKEN;

/** A media part (Anthropic image/document, Responses input_image/input_file, Chat image_url), or null. */
function media(part: JsonObject): Piece | null {
  const t = part['type'];
  if (t === 'image' || t === 'input_image' || t === 'image_url')
    return { kind: 'media', name: 'image', tokens: IMAGE_TOKENS };
  if (t === 'document' || t === 'input_file') {
    const src = asObject(part['source']);
    const data = asString(src?.['data']) ?? asString(part['file_data']);
    if (data !== null && (src?.['type'] === 'base64' || part['file_data'] !== undefined))
      return { kind: 'media', name: 'document', tokens: (data.length * 0.75) / DOCUMENT_BYTES_PER_TOKEN };
    return { kind: 'media', name: 'document', tokens: textTokens(part) };
  }
  return null;
}

/** Pieces of a content value (string or parts) that all count as `kind`, except media and thinking. */
function contentPieces(content: JsonValue | undefined, kind: ContextPartKind, toolId?: string): Piece[] {
  if (typeof content === 'string') return [{ kind, toolId, tokens: content.length / CHARS_PER_TOKEN }];
  const out: Piece[] = [];
  for (const raw of asArray(content) ?? []) {
    const part = asObject(raw);
    if (part === null) continue;
    const m = media(part);
    if (m) out.push(m);
    else out.push({ kind, toolId, tokens: textTokens(part) });
  }
  return out;
}

/** Anthropic message: text/tool_use → messages, tool_result → tool_results, thinking, media. */
function anthropicMessage(msg: JsonObject): Measured {
  const pieces: Piece[] = [];
  const calls: [string, string][] = [];
  const content = msg['content'];
  if (typeof content === 'string') return { pieces: contentPieces(content, 'messages'), calls };
  for (const raw of asArray(content) ?? []) {
    const part = asObject(raw);
    if (part === null) continue;
    const t = part['type'];
    if (t === 'tool_result') {
      const id = asString(part['tool_use_id']) ?? '';
      pieces.push(...contentPieces(part['content'], 'tool_results', id));
    } else if (t === 'thinking' || t === 'redacted_thinking') {
      pieces.push({ kind: 'thinking', tokens: textTokens(part['thinking'] ?? part['data']) });
    } else {
      if (t === 'tool_use' || t === 'server_tool_use') {
        const id = asString(part['id']);
        const name = asString(part['name']);
        if (id && name) calls.push([id, name]);
      }
      pieces.push(media(part) ?? { kind: 'messages', tokens: textTokens(part) });
    }
  }
  return { pieces, calls };
}

const RESPONSES_CALLS = new Set(['function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call']);

/** Responses input item: message → system (developer/system role) or messages; calls; outputs; reasoning. */
function responsesItem(item: JsonObject): Measured {
  const type = asString(item['type']) ?? (item['role'] !== undefined ? 'message' : '');
  const calls: [string, string][] = [];
  if (type === 'message') {
    const role = item['role'];
    const kind = role === 'system' || role === 'developer' ? 'system' : 'messages';
    return { pieces: contentPieces(item['content'], kind), calls };
  }
  if (type === 'function_call_output' || type === 'custom_tool_call_output') {
    return { pieces: contentPieces(item['output'], 'tool_results', asString(item['call_id']) ?? ''), calls };
  }
  if (type === 'reasoning') return { pieces: [{ kind: 'thinking', tokens: textTokens(item) }], calls };
  // Codex declares tools inside its input too (`additional_tools`, namespaces of tools).
  if (type === 'additional_tools') return { pieces: toolPieces(item['tools']), calls };
  if (RESPONSES_CALLS.has(type)) {
    const id = asString(item['call_id']) ?? asString(item['id']);
    const name = asString(item['name']) ?? (type === 'local_shell_call' ? 'shell' : type);
    if (id) calls.push([id, name]);
  }
  return { pieces: [{ kind: 'messages', tokens: textTokens(item) }], calls };
}

/** Chat message: system/developer → system, tool → tool_results, assistant tool_calls recorded. */
function chatMessage(msg: JsonObject): Measured {
  const role = msg['role'];
  const calls: [string, string][] = [];
  if (role === 'system' || role === 'developer')
    return { pieces: contentPieces(msg['content'], 'system'), calls };
  if (role === 'tool')
    return {
      pieces: contentPieces(msg['content'], 'tool_results', asString(msg['tool_call_id']) ?? ''),
      calls,
    };
  const pieces = contentPieces(msg['content'], 'messages');
  for (const raw of asArray(msg['tool_calls']) ?? []) {
    const c = asObject(raw);
    const id = asString(c?.['id']);
    const name = asString(asObject(c?.['function'])?.['name']);
    if (id && name) calls.push([id, name]);
    pieces.push({ kind: 'messages', tokens: textTokens(raw) });
  }
  const reasoning = msg['reasoning_content'] ?? msg['reasoning'];
  if (reasoning !== undefined) pieces.push({ kind: 'thinking', tokens: textTokens(reasoning) });
  return { pieces, calls };
}

/** `mcp__github__create_issue` → `github`; null for a built-in tool. */
export function mcpServer(toolName: string): string | null {
  const m = /^mcp__(.+?)__/.exec(toolName);
  return m ? m[1]! : null;
}

function toolPieces(tools: JsonValue | undefined, namespace = ''): Piece[] {
  const out: Piece[] = [];
  for (const raw of asArray(tools) ?? []) {
    const t = asObject(raw);
    const name =
      asString(t?.['name']) ?? asString(asObject(t?.['function'])?.['name']) ?? asString(t?.['type']) ?? '';
    // A namespace of tools (Codex): its tools are measured one by one, an `mcp__<server>` namespace as MCP.
    if (t?.['type'] === 'namespace' && Array.isArray(t['tools'])) {
      out.push(...toolPieces(t['tools'], name));
      continue;
    }
    const server = mcpServer(name) ?? (namespace.startsWith('mcp__') ? namespace.slice(5) : null);
    out.push(
      server === null
        ? { kind: 'tools', tokens: textTokens(raw) }
        : { kind: 'mcp_tools', name: server, tokens: textTokens(raw) },
    );
  }
  return out;
}

/** Provider-billed input of a request: input + cache read + cache write; null when none was reported. */
export function billedInput(u: {
  input: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
}): number | null {
  if (u.input === null && u.cacheRead === null && u.cacheWrite === null) return null;
  return (u.input ?? 0) + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);
}

/** Measures request bodies of one session, remembering each message object it has seen. */
export class ContextMeter {
  private readonly seen = new WeakMap<object, Measured>();

  private item(v: JsonValue, measure: (o: JsonObject) => Measured): Measured {
    const o = asObject(v);
    if (o === null) return { pieces: [{ kind: 'messages', tokens: textTokens(v) }], calls: [] };
    let m = this.seen.get(o);
    if (!m) {
      m = measure(o);
      this.seen.set(o, m);
    }
    return m;
  }

  /**
   * The composition of one request body (already rebuilt from its blocks), scaled to `billed` tokens when
   * known. Null when the body is not a JSON object or has nothing to measure.
   */
  measure(dialect: Dialect, endpoint: Endpoint, body: unknown, billed: number | null): Context | null {
    const est = this.estimate(dialect, endpoint, body);
    return est && scaleEstimate(est, billed);
  }

  /**
   * Unscaled estimates by part of one body. `calls`: tool names by call id seen elsewhere in the session (a
   * Codex turn over a WebSocket sends only the new items; the call its tool result answers is in an earlier
   * response). Null when the body is not a JSON object.
   */
  estimate(
    dialect: Dialect,
    endpoint: Endpoint,
    body: unknown,
    calls?: ReadonlyMap<string, string>,
  ): Estimate | null {
    let o = asObject(body);
    if (o === null) return null;
    if (o['type'] === 'response.create') o = asObject(o['response']) ?? o;
    const pieces: Piece[] = [];
    const names = new Map<string, string>(calls ?? []);
    const add = (m: Measured): void => {
      pieces.push(...m.pieces);
      for (const [id, name] of m.calls) names.set(id, name);
    };
    if (dialect === 'anthropic') {
      pieces.push(...contentPieces(o['system'], 'system'));
      for (const m of asArray(o['messages']) ?? []) add(this.item(m, anthropicMessage));
    } else if (endpoint === 'responses' || o['input'] !== undefined) {
      if (o['instructions'] !== undefined) pieces.push(...contentPieces(o['instructions'], 'system'));
      const input = o['input'];
      if (typeof input === 'string')
        pieces.push({ kind: 'messages', tokens: input.length / CHARS_PER_TOKEN });
      else for (const it of asArray(input) ?? []) add(this.item(it, responsesItem));
    } else {
      for (const m of asArray(o['messages']) ?? []) add(this.item(m, chatMessage));
    }
    pieces.push(...toolPieces(o['tools']));
    return sum(pieces, names);
  }
}

/** Estimated tokens by part key (`kind\0name`), unscaled. */
export type Estimate = Map<string, { kind: ContextPartKind; name?: string; est: number }>;

/** Add `from` into `into` (a Codex turn's context = the previous turn's + its output + the new items). */
export function addEstimate(into: Estimate, from: Estimate): Estimate {
  for (const [k, v] of from) {
    const s = into.get(k);
    if (s) s.est += v.est;
    else into.set(k, { ...v });
  }
  return into;
}

/** Tool results are named by their call. */
function sum(pieces: Piece[], names: ReadonlyMap<string, string>): Estimate {
  const sums: Estimate = new Map();
  for (const p of pieces) {
    const name = p.kind === 'tool_results' ? (names.get(p.toolId ?? '') ?? 'unknown tool') : p.name;
    const key = `${p.kind}\u0000${name ?? ''}`;
    const s =
      sums.get(key) ?? (name === undefined ? { kind: p.kind, est: 0 } : { kind: p.kind, name, est: 0 });
    s.est += p.tokens;
    sums.set(key, s);
  }
  return sums;
}

/** Scale estimates to `billed` (unscaled when null), rounding so the parts sum exactly; largest first. */
export function scaleEstimate(sums: Estimate, billed: number | null): Context | null {
  const all = [...sums.values()].filter((s) => s.est > 0);
  const est = all.reduce((a, s) => a + s.est, 0);
  if (all.length === 0 || est === 0) return null;
  const target = billed ?? Math.round(est);
  const scaled = all.map((s) => ({ s, exact: (s.est / est) * target }));
  const parts: ContextPart[] = scaled.map(({ s, exact }) => ({ ...partKey(s), tokens: Math.floor(exact) }));
  // Largest remainder: hand the tokens lost to flooring to the parts that lost the most.
  let left = target - parts.reduce((a, p) => a + p.tokens, 0);
  const order = scaled
    .map((x, i) => ({ i, r: x.exact - Math.floor(x.exact) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--)
    parts[order[k]!.i]!.tokens++;
  parts.sort((a, b) => b.tokens - a.tokens || a.kind.localeCompare(b.kind));
  return { parts };
}

function partKey(s: { kind: ContextPartKind; name?: string }): { kind: ContextPartKind; name?: string } {
  return s.name === undefined ? { kind: s.kind } : { kind: s.kind, name: s.name };
}
