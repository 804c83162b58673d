// A session as a readable Markdown transcript: a header with the facts, then each request's new turns and its
// response. Content is put in fenced blocks whose fence is longer than any backtick run inside, so recorded text
// can never close a fence or inject Markdown structure. Pure.
import type { TranscriptItem, TranscriptTurn } from '../../src-shared/contract.js';
import type { SessionData } from './session-data.js';

function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text}\n${f}`;
}

/** One line of plain text safe in a heading or list item (no newlines, Markdown punctuation escaped). */
function inline(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/([\\`*_[\]<>#|])/g, '\\$1');
}

function itemMd(i: TranscriptItem): string {
  switch (i.kind) {
    case 'system':
      return `**System prompt**\n\n${fence(i.text)}`;
    case 'user':
      return `### User\n\n${fence(i.text)}`;
    case 'assistant':
      return `### Assistant\n\n${fence(i.text)}`;
    case 'thinking':
      return `**Thinking**\n\n${fence(i.text)}`;
    case 'tool_call':
      return `**Tool call** ${inline(i.name ?? '?')}${i.tool_id ? ` (${inline(i.tool_id)})` : ''}\n\n${fence(i.text, 'json')}`;
    case 'tool_result':
      return `**Tool result**${i.tool_id ? ` for ${inline(i.tool_id)}` : ''}${i.is_error ? ' (error)' : ''}\n\n${fence(i.text)}`;
    case 'refusal':
      return `**Refusal**\n\n${fence(i.text)}`;
    case 'error':
      return `**Error**\n\n${fence(i.text)}`;
    case 'other':
      return `**${inline(i.name ?? 'Other')}**\n\n${fence(i.text)}`;
  }
}

export function buildMarkdown(data: SessionData, transcript: readonly TranscriptTurn[]): string {
  const id = data.sessionId ?? 'unknown';
  const ex = data.exchanges;
  const sum = (
    f: (u: NonNullable<(typeof ex)[number]['response']>['usage']) => number | null,
  ): number | null => {
    let total: number | null = null;
    for (const e of ex) {
      const v = e.response ? f(e.response.usage) : null;
      if (v !== null) total = (total ?? 0) + v;
    }
    return total;
  };
  const fmt = (n: number | null): string => (n === null ? 'not reported' : n.toLocaleString('en-US'));
  const models = [...new Set(ex.map((e) => e.response?.model ?? e.request.model).filter(Boolean))];
  const out: string[] = [
    `# LunaRoute session ${inline(id)}`,
    '',
    `- Client: ${inline(data.session?.client ?? 'unknown')}${data.session?.client_version ? ` ${inline(data.session.client_version)}` : ''}`,
    `- Started: ${ex[0] ? new Date(ex[0].request.at).toISOString() : 'unknown'}`,
    `- Requests: ${ex.length}`,
    `- Models: ${models.length ? models.map((m) => inline(m!)).join(', ') : 'unknown'}`,
    `- Tokens: input ${fmt(sum((u) => u.input))}, output ${fmt(sum((u) => u.output))}, cache read ${fmt(sum((u) => u.cacheRead))}, cache write ${fmt(sum((u) => u.cacheWrite))}`,
    '- Cost: unpriced (no price table yet)',
    '- Content is redacted as stored.',
    '',
  ];
  transcript.forEach((t, n) => {
    out.push(
      `## Request ${n + 1} · ${inline(t.model ?? 'unknown model')} · ${new Date(t.at).toISOString()}`,
      '',
    );
    for (const i of [...t.input, ...t.output]) out.push(itemMd(i), '');
  });
  return out.join('\n');
}
