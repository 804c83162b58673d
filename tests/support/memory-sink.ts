// An in-memory LineSink for driving the recorder engine directly in unit tests: keeps every line it is given,
// parsed, with the file it was meant for.
import type { LineSink } from '../../src-main/recorder/engine.js';
import type { RecordLine } from '../../src-shared/records.js';

export class MemorySink implements LineSink {
  readonly entries: { file: string; line: RecordLine }[] = [];

  /** The lines, in order, without their files. */
  get lines(): RecordLine[] {
    return this.entries.map((e) => e.line);
  }

  append(file: string, line: string): boolean {
    this.entries.push({ file, line: JSON.parse(line) as RecordLine });
    return true;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
