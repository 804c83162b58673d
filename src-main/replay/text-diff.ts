// A line diff of two response texts (longest common subsequence), for the replay comparison: `=` lines in both,
// `-` only in the original, `+` only in the replay. The common head and tail are trimmed first; when what is
// left is too big for the quadratic table, it is shown as removed-then-added and marked truncated. Pure.

export type DiffOp = '=' | '-' | '+';
export interface DiffLine {
  op: DiffOp;
  text: string;
}

/** Largest LCS table (cells) computed; beyond it the middle is shown as removed, then added. */
const MAX_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/\r?\n/);
}

export function diffLines(a: string, b: string): { lines: DiffLine[]; truncated: boolean } {
  const x = splitLines(a);
  const y = splitLines(b);
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (
    tail < x.length - head &&
    tail < y.length - head &&
    x[x.length - 1 - tail] === y[y.length - 1 - tail]
  )
    tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const out: DiffLine[] = x.slice(0, head).map((text) => ({ op: '=', text }));
  let truncated = false;
  if ((xs.length + 1) * (ys.length + 1) > MAX_CELLS) {
    truncated = true;
    for (const text of xs) out.push({ op: '-', text });
    for (const text of ys) out.push({ op: '+', text });
  } else {
    out.push(...lcsDiff(xs, ys));
  }
  for (const text of x.slice(x.length - tail)) out.push({ op: '=', text });
  return { lines: out, truncated };
}

function lcsDiff(x: string[], y: string[]): DiffLine[] {
  const n = x.length;
  const m = y.length;
  // len[i][j] = LCS length of x[i..] and y[j..], in one flat array.
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] =
        x[i] === y[j] ? len[(i + 1) * w + j + 1]! + 1 : Math.max(len[(i + 1) * w + j]!, len[i * w + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: '=', text: x[i]! });
      i++;
      j++;
    } else if (len[(i + 1) * w + j]! >= len[i * w + j + 1]!) {
      out.push({ op: '-', text: x[i++]! });
    } else {
      out.push({ op: '+', text: y[j++]! });
    }
  }
  while (i < n) out.push({ op: '-', text: x[i++]! });
  while (j < m) out.push({ op: '+', text: y[j++]! });
  return out;
}
