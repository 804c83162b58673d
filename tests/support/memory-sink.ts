// An in-memory LineSink for driving the recorder engine directly in unit tests: keeps every line it is given,
// parsed, with the file it was meant for, and reports each one written at once. `lines` gives them as readers
// see them (lean version 2 lines filled in, file by file).
import path from 'node:path';
import type { LineSink } from '../../src-main/recorder/engine.js';
import { hydrateLines } from '../../src-main/recorder/lean-read.js';
import type { RecordLine } from '../../src-shared/records.js';
import type { LineAck } from '../../src-main/storage/jsonl-writer.js';

export class MemorySink implements LineSink {
  /** Each line as stored (lean v2 request and response lines as written). */
  readonly entries: { file: string; line: RecordLine }[] = [];

  /** The lines, in order, without their files, in the full shape (as a session file's reader returns them). */
  get lines(): RecordLine[] {
    const byFile = new Map<string, number[]>();
    this.entries.forEach((e, i) => byFile.set(e.file, [...(byFile.get(e.file) ?? []), i]));
    const out: RecordLine[] = new Array<RecordLine>(this.entries.length);
    for (const [file, at] of byFile) {
      const full = hydrateLines(
        at.map((i) => this.entries[i]!.line),
        path.basename(file).replace(/\.jsonl$/, ''),
      );
      at.forEach((i, k) => (out[i] = full[k]!));
    }
    return out;
  }

  append(file: string, line: string, ack: LineAck): boolean {
    this.entries.push({ file, line: JSON.parse(line) as RecordLine });
    ack.written();
    return true;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
