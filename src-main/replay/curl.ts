// "Copy as cURL": a recorded request as a shell command that sends it straight to its upstream. The key is
// written as `$ANTHROPIC_API_KEY` / `$OPENAI_API_KEY` for the shell to fill in — the recording never held the
// real one, and the command must never carry it. Everything else is single-quoted (POSIX shells). Pure.
import { planReplay, type ReplaySource } from './plan.js';

/** Single-quote for a POSIX shell: `it's` → `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(src: ReplaySource): string {
  const plan = planReplay(src);
  const q = src.request;
  const lines = [`curl ${shellQuote(q.upstream_url)}`];
  if (q.stream) lines.push('-N');
  lines.push(
    q.dialect === 'anthropic'
      ? `-H "x-api-key: $ANTHROPIC_API_KEY"`
      : `-H "Authorization: Bearer $OPENAI_API_KEY"`,
  );
  for (const [name, v] of Object.entries(plan.headers)) {
    // The shell command shows plain text: curl would print compressed bytes as they come.
    if (name === 'accept-encoding') continue;
    for (const value of Array.isArray(v) ? v : [v]) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (!('content-type' in plan.headers)) lines.push(`-H 'content-type: application/json'`);
  lines.push(`--data-raw ${shellQuote(plan.body)}`);
  return lines.join(' \\\n  ') + '\n';
}
