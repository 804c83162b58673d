// `lunaroute export <session> --format jsonl|har|md [--out FILE]`: one session as a file, built by the same
// pure builders the UI's export uses, straight from the session's JSONL (the durable record; no index needed,
// so it works while a server runs). Exports are redacted exactly like storage: they are made of stored lines.
import fs from 'node:fs';
import path from 'node:path';
import { EXPORT_FORMATS, type ExportFormat } from '../../src-shared/contract.js';
import { buildExport } from '../export/index.js';
import { listSessionFiles, readSessionParts, type SessionFile } from '../index/reindex.js';
import { cliError, usageError, type Command, type CommandOption } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { loadConfigForCli } from './serve.js';

const OPTIONS: readonly CommandOption[] = [
  {
    name: 'format',
    short: 'f',
    type: 'string',
    valueName: 'jsonl|har|md',
    description:
      'JSONL (the recorded lines), HAR 1.2 (opens in browser dev tools) or Markdown (a transcript)',
    defaultText: 'jsonl',
  },
  {
    name: 'out',
    short: 'o',
    type: 'string',
    valueName: 'file',
    description: 'Write to this file (default: stdout)',
  },
  ...CONFIG_OPTIONS.filter((o) => o.name === 'data-dir' || o.name === 'config'),
];

/** The session file for an id or a unique id prefix (at least 4 characters). */
export async function findSessionFile(sessionsDir: string, id: string): Promise<SessionFile> {
  const files = await listSessionFiles(sessionsDir);
  const stem = (f: SessionFile): string => path.basename(f.rel, '.jsonl');
  const exact = files.filter((f) => stem(f) === id);
  if (exact.length > 0) return exact[exact.length - 1]!;
  const matches = id.length >= 4 ? files.filter((f) => stem(f).startsWith(id)) : [];
  const ids = [...new Set(matches.map(stem))];
  if (ids.length === 1) return matches[matches.length - 1]!;
  if (ids.length > 1) {
    throw cliError(
      `'${id}' matches ${ids.length} sessions (${ids.slice(0, 3).join(', ')}…): give more of the id`,
      1,
    );
  }
  throw cliError(
    `no session '${id}' in ${sessionsDir}${id.length < 4 ? ' (a prefix needs at least 4 characters)' : ''} — see lunaroute sessions list`,
    1,
  );
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a session as JSONL, HAR or Markdown (lunaroute export <id> --format har)',
  description:
    'Write one recorded session as a file: the JSONL records, a HAR 1.2 archive (one entry per request, with\n' +
    'the reassembled response and LunaRoute fields for tokens, cost and session id), or a Markdown transcript.\n' +
    'A unique prefix of the session id is enough. Content is redacted exactly as it was stored.',
  options: OPTIONS,
  positionals: [{ name: 'session', description: 'the session id or a unique prefix' }],
  async run({ values, positionals }, ctx) {
    const [id, extra] = positionals;
    if (!id) throw usageError('say which session to export', 'export');
    if (extra !== undefined) throw usageError(`unexpected argument '${extra}'`, 'export');
    const format = (values.format ?? 'jsonl') as string;
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw usageError(`--format must be one of ${EXPORT_FORMATS.join(', ')} (got '${format}')`, 'export');
    }
    const config = loadConfigForCli(values, ctx);
    const file = await findSessionFile(path.join(config.dataDir, 'sessions'), id);
    const { lines } = await readSessionParts(file.parts);
    const out = buildExport(lines, format as ExportFormat, ctx.version);
    const target = typeof values.out === 'string' ? path.resolve(ctx.cwd, values.out) : null;
    if (target === null) {
      ctx.stdout(out.content);
      return 0;
    }
    try {
      // Recorded conversations are private: the file is readable by its owner only.
      fs.writeFileSync(target, out.content, { mode: 0o600 });
    } catch (err) {
      throw cliError(`cannot write ${target}: ${(err as Error).message}`, 1);
    }
    ctx.stderr(`lunaroute: wrote ${target} (${Buffer.byteLength(out.content)} bytes, ${format})\n`);
    return 0;
  },
};
