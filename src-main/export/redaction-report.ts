// A session's redaction report: the findings its lines carry, by detector; for older files, the redaction
// placeholders in what was stored (`[EMAIL]`, `[API_KEY:1f2e…]`, and `[REDACTION_FAILED]`), by label. Only the built-in labels are counted, so a literal "[TODO]" in a prompt is
// not mistaken for a redaction. Re-sent history is stored once, so a value counts once per distinct block.
// `partial` and `remove` leave no label behind and cannot be counted this way. Pure.
import type { RedactionReport } from '../../src-shared/contract.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine } from '../../src-shared/records.js';

const LABELS = [
  'PRIVATE_KEY',
  'JWT',
  'API_KEY',
  'SECRET_KEY',
  'TOKEN',
  'PASSWORD',
  'SECRET',
  'EMAIL',
  'CREDIT_CARD',
  'IBAN',
  'SSN',
  'PHONE',
  'IP_ADDRESS',
  'MAC_ADDRESS',
  'REDACTION_FAILED',
];
const PLACEHOLDER = new RegExp(`\\[(${LABELS.join('|')})(?::[0-9a-f]{16})?\\]`, 'g');

/** The labels of the redaction placeholders in a text (`[EMAIL]`, `[API_KEY:1f2e…]` → EMAIL, API_KEY), in order. */
export function placeholderLabels(text: string): string[] {
  return text.includes('[') ? [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!) : [];
}

/**
 * The session's redaction report. Request and response lines carry the redactor's own findings (`redaction`,
 * by detector — exact in every mode, `partial` and `remove` included); files written before lines carried them
 * fall back to counting the placeholders stored (by label).
 */
export function redactionReport(lines: readonly RecordLine[]): RedactionReport {
  const found = new Map<string, number>();
  let recorded = false;
  for (const l of lines) {
    if ((l.type !== 'request' && l.type !== 'response') || !l.redaction) continue;
    recorded = true;
    for (const [k, n] of Object.entries(l.redaction)) found.set(k, (found.get(k) ?? 0) + n);
  }
  if (recorded) {
    const failed = found.get('redaction_failed') ?? 0;
    found.delete('redaction_failed');
    return {
      counts: [...found]
        .map(([label, count]) => ({ label, count }))
        .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
      failed,
    };
  }
  return placeholderReport(lines);
}

function placeholderReport(lines: readonly RecordLine[]): RedactionReport {
  const counts = new Map<string, number>();
  const visit = (v: JsonValue | undefined): void => {
    if (typeof v === 'string') {
      for (const label of placeholderLabels(v)) counts.set(label, (counts.get(label) ?? 0) + 1);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x);
  };
  for (const l of lines) if (l.type !== 'session' && l.type !== 'gap') visit(l as unknown as JsonValue);
  const failed = counts.get('REDACTION_FAILED') ?? 0;
  counts.delete('REDACTION_FAILED');
  return {
    counts: [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count),
    failed,
  };
}
