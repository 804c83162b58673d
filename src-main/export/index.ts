// Session exports (JSONL, HAR 1.2, Markdown) built from a session file's record lines — the same builders for
// the UI's export call (run in the recorder worker) and `lunaroute export`. The lines are stored redacted, so
// every export is redacted exactly like storage. Pure: lines in, file name + content out.
import type { ExportFormat } from '../../src-shared/contract.js';
import type { RecordLine } from '../../src-shared/records.js';
import { buildHar } from './har.js';
import { buildMarkdown } from './markdown.js';
import { collectSession } from './session-data.js';
import { buildTranscript } from './transcript.js';

export interface ExportFile {
  filename: string;
  mime: string;
  content: string;
}

const MIME: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson',
  har: 'application/json',
  md: 'text/markdown',
};

/** A file-name-safe stem: the session id with anything unusual replaced. */
export function exportStem(sessionId: string): string {
  return `lunaroute-${sessionId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}`;
}

export function buildExport(lines: readonly RecordLine[], format: ExportFormat, version: string): ExportFile {
  const data = collectSession(lines);
  const stem = exportStem(data.sessionId ?? 'session');
  let content: string;
  switch (format) {
    case 'jsonl':
      content = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      break;
    case 'har':
      content = JSON.stringify(buildHar(data, version), null, 2) + '\n';
      break;
    case 'md':
      content = buildMarkdown(data, buildTranscript(data.exchanges));
      break;
  }
  return { filename: `${stem}.${format}`, mime: MIME[format], content };
}
