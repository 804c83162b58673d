// Per-detector precision and recall on a labelled corpus of true positives and coding-traffic near-misses.
// Recall must be 1.0 on the positives and precision ≥ 0.95; the table printed here is quoted in
// src-main/redaction/README.md.
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_DETECTORS,
  compilePolicy,
  type BuiltinDetectorName,
} from '../../src-main/redaction/index.js';
import { NEGATIVES, POSITIVES } from '../fixtures/redaction/corpus.js';

const redactor = compilePolicy({ mode: 'mask' });

interface Row {
  detector: BuiltinDetectorName;
  tp: number;
  fn: number;
  fp: number;
  precision: number;
  recall: number;
  misses: string[];
}

function evaluate(): Row[] {
  const fpBy = new Map<string, string[]>();
  // A negative is any string where no detector should fire; a positive of detector A on which detector B
  // (and not A) fires counts as a false positive of B.
  for (const text of NEGATIVES) {
    for (const d of Object.keys(redactor.redactString(text).findings)) {
      fpBy.set(d, [...(fpBy.get(d) ?? []), text]);
    }
  }
  const rows: Row[] = [];
  for (const detector of BUILTIN_DETECTORS) {
    let tp = 0;
    const misses: string[] = [];
    for (const p of POSITIVES[detector]) {
      const r = redactor.redactString(p.text);
      if ((r.findings[detector] ?? 0) > 0 && !r.value.includes(p.secret)) tp++;
      else
        misses.push(`${JSON.stringify(p.text)} → ${JSON.stringify(r.value)} ${JSON.stringify(r.findings)}`);
    }
    const fps = fpBy.get(detector) ?? [];
    const fp = fps.length;
    const fn = POSITIVES[detector].length - tp;
    rows.push({
      detector,
      tp,
      fn,
      fp,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
      misses: [...misses, ...fps.map((t) => `false positive on ${JSON.stringify(t)}`)],
    });
  }
  return rows;
}

describe('redaction corpus', () => {
  const rows = evaluate();

  it('prints the per-detector precision/recall table', () => {
    const lines = [
      `| detector | positives | TP | FN | FP (on ${NEGATIVES.length} near-misses) | precision | recall |`,
      '|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.detector} | ${r.tp + r.fn} | ${r.tp} | ${r.fn} | ${r.fp} | ${r.precision.toFixed(2)} | ${r.recall.toFixed(2)} |`,
      ),
    ];
    console.log(lines.join('\n'));
    expect(rows).toHaveLength(BUILTIN_DETECTORS.length);
  });

  for (const detector of BUILTIN_DETECTORS) {
    it(`${detector}: recall 1.0 and precision ≥ 0.95`, () => {
      const row = rows.find((r) => r.detector === detector);
      expect(row?.misses ?? []).toEqual([]);
      expect(row?.recall).toBe(1);
      expect(row?.precision ?? 0).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('leaves every near-miss byte-identical', () => {
    const changed = NEGATIVES.filter((t) => redactor.redactString(t).value !== t);
    expect(changed).toEqual([]);
  });

  it('has at least two positives for every detector', () => {
    for (const d of BUILTIN_DETECTORS) expect(POSITIVES[d].length).toBeGreaterThanOrEqual(2);
  });
});
