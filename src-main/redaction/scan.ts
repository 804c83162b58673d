// The shape every built-in and custom detector shares: a scan that appends the ranges it finds, and the helper that
// runs a global regex with an optional precision guard. A leaf module, so detector files can share it.
import type { Match } from './types.js';

export type Scan = (s: string, out: Match[]) => void;

/** Run a global regex over `s`; `accept` may veto a match or return a narrower range. */
export function scanRegex(
  re: RegExp,
  s: string,
  out: Match[],
  accept?: (m: RegExpExecArray) => Match | boolean,
): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const verdict = accept ? accept(m) : true;
    if (verdict === true) out.push({ start: m.index, end: m.index + m[0].length });
    else if (verdict !== false) out.push(verdict);
  }
}
