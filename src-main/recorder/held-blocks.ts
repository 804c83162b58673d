// The block hashes a session file already holds, read back when a session that left memory writes again (after
// a pause, or after a restart), so its re-sent history is not stored a second time. Only block lines count, and
// only whole ones that parse (a line torn by a crash, even one a later write ended, is not a block the reader can
// use). Any part that cannot be read yields nothing: the worst case is a block stored again, never one left out.
import fs from 'node:fs/promises';
import { decodeAll } from './decode.js';

const BLOCK_PREFIX = '{"type":"block"';

/** Hashes of the block lines in the parts of the session file `abs` (`abs.zst` first, then `abs`). */
export async function heldBlockHashes(abs: string): Promise<Set<string>> {
  const held = new Set<string>();
  for (const part of [abs + '.zst', abs]) {
    let buf: Buffer;
    try {
      buf = await fs.readFile(part);
      if (part.endsWith('.zst')) {
        const d = await decodeAll('zstd', buf);
        if (!d.data) continue;
        buf = d.data;
      }
    } catch {
      continue;
    }
    collect(buf.toString('utf8'), held);
  }
  return held;
}

function collect(text: string, into: Set<string>): void {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    // A last line without its newline is torn (the writer ends every line it completes).
    if (end < text.length && text.startsWith(BLOCK_PREFIX, at)) {
      try {
        const line = JSON.parse(text.slice(at, end)) as { type?: unknown; hash?: unknown };
        if (line.type === 'block' && typeof line.hash === 'string') into.add(line.hash);
      } catch {
        // damaged: not held
      }
    }
    at = end + 1;
  }
}
