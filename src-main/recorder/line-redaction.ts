// Redaction as the recorder's write path uses it. Every line is redacted through its own LineRedaction, which
// collects that line's findings (what was redacted, counted by kind) for the line's `redaction` field: the state
// lives in the object a line is built with, never in the engine. Failures are counted, never thrown. Header
// values repeat on every request of a client, so each header's redaction is remembered (bounded, per policy).
import type { JsonValue } from '../../src-shared/exchange.js';
import type { Redactor, StablePrefix } from '../redaction/index.js';
import { addFindings, type Findings } from './parse/blocks.js';

/** The counter a redaction failure increments (the worker's stats). */
export interface RedactionCounters {
  redactionFailures: number;
}

/** One header's redacted value(s) and findings, remembered by name and raw value. */
interface HeaderMemo {
  value: string | string[];
  findings: Findings;
}
const HEADER_MEMO_MAX = 4096;

export class Redaction {
  private readonly headerMemo = new Map<string, Map<string, HeaderMemo>>();
  private headerMemoSize = 0;

  constructor(
    private redactor: Redactor,
    private readonly counters: RedactionCounters,
  ) {}

  setRedactor(r: Redactor): void {
    this.redactor = r;
    this.headerMemo.clear();
    this.headerMemoSize = 0;
  }

  /** Redact a header map header by header, each remembered (the same redactor gives the same result). */
  readonly headers = (
    h: Record<string, string | string[]>,
  ): { value: Record<string, string | string[]>; findings: Findings } => {
    const value: Record<string, string | string[]> = {};
    const findings: Findings = {};
    for (const name of Object.keys(h)) {
      const raw = h[name];
      if (raw === undefined) continue;
      // By name, then by value (no key string built per header per request).
      const value1 = Array.isArray(raw) ? `\u0001${raw.join('\u0000\u0001')}` : raw;
      let byValue = this.headerMemo.get(name);
      let m = byValue?.get(value1);
      if (!m) {
        const single = Object.create(null) as Record<string, string | string[]>;
        single[name] = raw;
        const r = this.redactor.redactHeaders(single);
        m = { value: r.value[name]!, findings: r.findings };
        if (this.headerMemoSize >= HEADER_MEMO_MAX) {
          this.headerMemo.clear();
          this.headerMemoSize = 0;
          byValue = undefined;
        }
        if (!byValue) this.headerMemo.set(name, (byValue = new Map()));
        byValue.set(value1, m);
        this.headerMemoSize++;
      }
      if (name === '__proto__')
        Object.defineProperty(value, name, { value: m.value, enumerable: true, writable: true });
      else value[name] = m.value;
      addFindings(findings, m.findings);
    }
    return { value, findings };
  };

  /** A value and its findings (a failure is reported as `redaction_failed`): the form blocks use. */
  readonly value = (v: JsonValue): { value: JsonValue; findings: Findings } => {
    const r = this.redactor.redactJson(v);
    this.counters.redactionFailures += r.report.failed;
    const findings = r.report.failed
      ? { ...r.report.findings, redaction_failed: r.report.failed }
      : r.report.findings;
    return { value: r.value, findings };
  };

  /** Redact a text with no line to account it to (live previews). */
  text(s: string): string {
    const r = this.redactor.redactText(s);
    if (r.failed) this.counters.redactionFailures++;
    return r.value;
  }

  /** The decided prefix of a growing text, redacted (live previews while a response streams). */
  stable(s: string): StablePrefix | null {
    // A failure is counted once, by the final redaction of the response; here it only holds the text back.
    return this.redactor.stablePrefix(s);
  }

  /** Start a line: its findings are collected in the returned object. */
  line(): LineRedaction {
    return new LineRedaction(this.redactor, this.counters, this.value, this.headers);
  }
}

export class LineRedaction {
  private readonly found: Findings = {};

  constructor(
    private readonly redactor: Redactor,
    private readonly counters: RedactionCounters,
    private readonly redactValue: Redaction['value'],
    private readonly redactHeaders: Redaction['headers'],
  ) {}

  /** Redact a value that is not a block. */
  json(v: JsonValue): JsonValue {
    const r = this.redactValue(v);
    addFindings(this.found, r.findings);
    return r.value;
  }

  text(s: string | null): string | null {
    if (s === null) return null;
    // Through the redactor's string cache: a line's prompt, URL and upstream repeat from turn to turn.
    const r = this.redactor.redactString(s);
    if (r.failed) this.counters.redactionFailures++;
    addFindings(this.found, r.failed ? { ...r.findings, redaction_failed: 1 } : r.findings);
    return r.value;
  }

  headers(h: Record<string, string | string[]>): Record<string, string | string[]> {
    const r = this.redactHeaders(h);
    addFindings(this.found, r.findings);
    return r.value;
  }

  /** The line's findings (plus `extra`, e.g. its blocks'), or undefined when nothing was redacted. */
  findings(extra?: Findings): Findings | undefined {
    if (extra) addFindings(this.found, extra);
    return Object.keys(this.found).length > 0 ? { ...this.found } : undefined;
  }
}
