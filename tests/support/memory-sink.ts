// An in-memory LineSink for driving the recorder engine directly in unit tests: keeps every line it is given,
// parsed, with the file it was meant for, and reports each one written at once.
import type { LineSink } from '../../src-main/recorder/engine.js';
import type { RecordLine } from '../../src-shared/records.js';
import type { LineAck } from '../../src-main/storage/jsonl-writer.js';

export class MemorySink implements LineSink {
  readonly entries: { file: string; line: RecordLine }[] = [];

  /** The lines, in order, without their files. */
  get lines(): RecordLine[] {
    return this.entries.map((e) => e.line);
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
