// Redaction as the recorder's write path uses it. Every line is redacted through its own LineRedaction, which
// collects that line's findings (what was redacted, counted by kind) for the line's `redaction` field: the state
// lives in the object a line is built with, never in the engine. Failures are counted, never thrown.
import type { JsonValue } from '../../src-shared/exchange.js';
import type { Redactor, StablePrefix } from '../redaction/index.js';
import { addFindings, type Findings } from './parse/blocks.js';

/** The counter a redaction failure increments (the worker's stats). */
export interface RedactionCounters {
  redactionFailures: number;
}

export class Redaction {
  constructor(
    private redactor: Redactor,
    private readonly counters: RedactionCounters,
  ) {}

  setRedactor(r: Redactor): void {
    this.redactor = r;
  }

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
    return new LineRedaction(this.redactor, this.counters, this.value);
  }
}

export class LineRedaction {
  private readonly found: Findings = {};

  constructor(
    private readonly redactor: Redactor,
    private readonly counters: RedactionCounters,
    private readonly redactValue: Redaction['value'],
  ) {}

  /** Redact a value that is not a block. */
  json(v: JsonValue): JsonValue {
    const r = this.redactValue(v);
    addFindings(this.found, r.findings);
    return r.value;
  }

  text(s: string | null): string | null {
    if (s === null) return null;
    const r = this.redactor.redactText(s);
    if (r.failed) this.counters.redactionFailures++;
    addFindings(this.found, r.failed ? { ...r.findings, redaction_failed: 1 } : r.findings);
    return r.value;
  }

  headers(h: Record<string, string | string[]>): Record<string, string | string[]> {
    const r = this.redactor.redactHeaders(h);
    addFindings(this.found, r.findings);
    return r.value;
  }

  /** The line's findings (plus `extra`, e.g. its blocks'), or undefined when nothing was redacted. */
  findings(extra?: Findings): Findings | undefined {
    if (extra) addFindings(this.found, extra);
    return Object.keys(this.found).length > 0 ? { ...this.found } : undefined;
  }
}
