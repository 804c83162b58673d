// Plain-text table printing for benchmark sections: each section returns rows of cells, this module aligns them.
// Kept dependency-free so later sections (recording cost, redaction cost, index queries) can reuse it.

/**
 * @param {string} title
 * @param {string[]} header
 * @param {(string|number|null)[][]} rows
 */
export function formatTable(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? '–' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}

/** Format milliseconds with fixed decimals; null stays null. */
export function ms(v, digits = 3) {
  return v === null || v === undefined || Number.isNaN(v) ? null : v.toFixed(digits);
}

export function verdict(pass) {
  return pass ? 'PASS' : 'MISS';
}
