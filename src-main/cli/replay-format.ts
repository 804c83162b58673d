// Plain text for `lunaroute replay`: what is about to be sent (changes, credential source, redactions — before
// anything goes out), and the comparison of original and replay as an aligned table, the tool calls, and the
// response text as a line diff. Unknown values print as "–", never as 0. Pure.
import type { ReplayComparison, ReplaySide } from '../../src-shared/replay.js';
import type { PreparedReplay } from '../replay/run.js';
import { fmtMs, fmtTokens, table } from './format.js';

export function fmtUsd(n: number | null, signed = false): string {
  if (n === null) return '–';
  const a = Math.abs(n);
  const digits = a >= 1 ? 2 : a >= 0.01 ? 4 : 6;
  const sign = n < 0 ? '-' : signed && n > 0 ? '+' : '';
  return `${sign}$${a.toFixed(digits)}`;
}

function quote(text: string | null, max = 60): string {
  if (text === null) return '–';
  const t = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(t.length > max ? t.slice(0, max - 1) + '…' : t);
}

/** Lines (for stderr) saying what the replay sends, printed before it is sent. */
export function describePlan(p: PreparedReplay, via: string): string {
  const q = p.plan.source.request;
  const out = [
    `Replaying ${q.id} (${q.dialect} ${q.endpoint}, ${q.model ?? 'no model'}, ${q.stream ? 'streamed' : 'not streamed'}) from session ${q.session_id}`,
  ];
  const c = p.plan.changes;
  if (c.model) out.push(`  model       ${c.model.from ?? '–'} → ${c.model.to}`);
  if (c.prompt)
    out.push(
      `  prompt      ${quote(c.prompt.from)} → ${quote(c.prompt.to)} (message ${c.prompt.message_index + 1}` +
        `${c.prompt.dropped ? `, ${c.prompt.dropped} later message(s) left out` : ''})`,
    );
  if (c.upstream) out.push(`  upstream    ${c.upstream}`);
  if (p.credential) out.push(`  credential  ${p.credential.label}`);
  out.push(`  estimate    ${fmtUsd(p.estimate.usd)} (${p.estimate.note})`);
  out.push(`  via         LunaRoute at ${via}`);
  for (const n of p.plan.notes) out.push(`  note        ${n}`);
  if (p.plan.redactions.length > 0) {
    out.push(
      'Warning: the stored request had redactions — the replay carries the redacted text, not the original values:',
    );
    for (const r of p.plan.redactions)
      out.push(`  ${r.label} ×${r.count}${r.where.length ? ` at ${r.where.join(', ')}` : ''}`);
  }
  return out.join('\n') + '\n';
}

function outcome(s: ReplaySide): string {
  if (s.outcome === null) return 'in flight';
  return `${s.outcome}${s.status !== null ? ` ${s.status}` : ''}${s.reason ? ` (${s.reason.replaceAll('_', ' ')})` : ''}`;
}

function signed(n: number | null, fmt: (v: number) => string): string {
  if (n === null) return '';
  if (n === 0) return '=';
  return (n > 0 ? '+' : '-') + fmt(Math.abs(n));
}

function calls(s: ReplaySide): string[] {
  if (s.tool_calls.length === 0) return ['(none)'];
  return s.tool_calls.map((c) => `${c.name} ${c.arguments.replace(/\s+/g, ' ').slice(0, 200)}`);
}

export function formatComparison(c: ReplayComparison): string {
  const { original: o, replay: r, diff: d } = c;
  const tok = (k: keyof ReplaySide['tokens'], label: string): string[] => [
    label,
    fmtTokens(o.tokens[k]),
    fmtTokens(r.tokens[k]),
    signed(d.tokens[k], (v) => fmtTokens(v)),
  ];
  const rows: string[][] = [
    ['request', o.request_id.slice(0, 8), r.request_id.slice(0, 8), `session ${r.session_id}`],
    ['model', o.model ?? '–', r.model ?? '–', d.model.same ? '=' : 'changed'],
    ['outcome', outcome(o), outcome(r), d.outcome.same ? '=' : 'changed'],
    ['stop reason', o.stop_reason ?? '–', r.stop_reason ?? '–', d.stop_reason.same ? '=' : 'changed'],
    tok('input', 'input tokens'),
    tok('output', 'output tokens'),
    tok('cache_read', 'cache read'),
    tok('cache_write', 'cache write'),
    tok('reasoning', 'reasoning'),
    ['cost', fmtUsd(o.cost_usd), fmtUsd(r.cost_usd), d.cost_usd === null ? '' : fmtUsd(d.cost_usd, true)],
    ['time to first token', fmtMs(o.ttft_ms), fmtMs(r.ttft_ms), signed(d.ttft_ms, fmtMs)],
    ['duration', fmtMs(o.duration_ms), fmtMs(r.duration_ms), signed(d.duration_ms, fmtMs)],
  ];
  let out = table(['', 'ORIGINAL', 'REPLAY', 'CHANGE'], rows);
  for (const [name, s] of [
    ['original', o],
    ['replay', r],
  ] as const) {
    if (s.error) out += `\nError (${name}): ${s.error.replace(/\s+/g, ' ').slice(0, 500)}\n`;
  }
  out += `\nTool calls${d.tool_calls.same ? ' (the same)' : ''}\n`;
  for (const [name, s] of [
    ['original', o],
    ['replay  ', r],
  ] as const)
    for (const [i, line] of calls(s).entries()) out += `  ${i === 0 ? name : '        '}  ${line}\n`;
  if (d.text.same) {
    out += `\nResponse text (the same${o.text === '' ? ', empty' : ''})\n`;
    for (const line of o.text === '' ? [] : o.text.split('\n')) out += `  ${line}\n`;
  } else {
    out += '\nResponse text (- original, + replay)\n';
    for (const l of d.text.lines) out += `${l.op === '=' ? ' ' : l.op} ${l.text}\n`;
    if (d.text.truncated) out += '  (too long to diff line by line: shown as removed, then added)\n';
  }
  return out;
}
