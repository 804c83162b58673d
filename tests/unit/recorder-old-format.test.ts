// Session files written in the first JSONL format (record version 1, before lean lines) must read, index,
// rebuild and export exactly as they did with the code that wrote them. The fixture under
// tests/fixtures/recorder/old-format/ was recorded through the real proxy and recorder (a Claude Code-like
// session with thinking, a tool call and its result, a quota call and a 429; an OpenCode-like Chat Completions
// session with a tool call and a mid-stream error; a Codex-like Responses call), and expected.json is what the
// read side made of it then. UPDATE_OLD_FORMAT=1 rewrites expected.json (only after a deliberate change to
// how old files read).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_VERSION } from '../../src-shared/records.js';
import { recordSnapshot, type RecordSnapshot } from '../support/record-snapshot.js';

const DIR = path.join(import.meta.dirname, '../fixtures/recorder/old-format');
const SESSIONS = path.join(DIR, 'sessions');
const EXPECTED = path.join(DIR, 'expected.json');

describe('old-format (v1) session files', () => {
  it('are all version 1 lines', () => {
    for (const day of fs.readdirSync(SESSIONS))
      for (const f of fs.readdirSync(path.join(SESSIONS, day)))
        for (const l of fs
          .readFileSync(path.join(SESSIONS, day, f), 'utf8')
          .split('\n')
          .filter(Boolean))
          expect((JSON.parse(l) as { v: number }).v).toBe(1);
    expect(RECORD_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('read, reindex, rebuild bodies and export exactly as when they were written', async () => {
    const snap = await recordSnapshot(SESSIONS);
    if (process.env['UPDATE_OLD_FORMAT'] === '1')
      fs.writeFileSync(EXPECTED, JSON.stringify(snap, null, 1) + '\n');
    const expected = JSON.parse(fs.readFileSync(EXPECTED, 'utf8')) as RecordSnapshot;
    expect(Object.keys(snap.lines).sort()).toEqual(Object.keys(expected.lines).sort());
    for (const file of Object.keys(expected.lines)) expect(snap.lines[file]).toEqual(expected.lines[file]);
    expect(snap.index).toEqual(expected.index);
    expect(snap.bodies).toEqual(expected.bodies);
    for (const key of Object.keys(expected.exports)) expect(snap.exports[key]).toBe(expected.exports[key]);
    expect(Object.keys(snap.exports).sort()).toEqual(Object.keys(expected.exports).sort());
  });
});
