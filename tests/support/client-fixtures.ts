// The real-client fixtures in tests/fixtures/clients/<name>/: a session's JSONL exactly as the recorder wrote it
// while a real client (Claude Code, Codex, OpenCode) ran against the fake provider, and a manifest of what the
// capture set up (project path, branch, the prompts typed). tests/clients/capture-fixtures.test.ts makes them;
// tests read them with loadClientFixture() or put them into a data dir with installClientFixture() and reindex.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ClientKind,
  RecordLine,
  RequestLine,
  ResponseLine,
  SessionLine,
} from '../../src-shared/records.js';

export const CLIENT_FIXTURES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'clients',
);

/** The fixtures the capture makes, one per client flow. */
export const CLIENT_FIXTURES = [
  'claude-code-subagent-compact',
  'codex-tool-resume-compact',
  'opencode-tool-continue',
] as const;
export type ClientFixtureName = (typeof CLIENT_FIXTURES)[number];

/** What the capture set up and did: the ground truth a test compares derived fields with. */
export interface ClientFixtureManifest {
  client: ClientKind;
  client_version: string;
  /** What the client was made to do, in words. */
  scenario: string;
  session_id: string;
  /** The working directory the client ran in (a git repository). */
  project: string;
  /** Its checked-out branch. */
  branch: string;
  /** What was typed, in order (Claude Code's `/compact` included). */
  prompts: string[];
  /** The session's expected title: the first prompt typed. */
  title: string;
  /** Claude Code: the prompt the main thread gave the subagent. */
  subagent_prompt?: string;
}

export interface ClientFixture {
  name: ClientFixtureName;
  manifest: ClientFixtureManifest;
  /** The JSONL file's text. */
  text: string;
  lines: RecordLine[];
  session: SessionLine;
  requests: RequestLine[];
  responses: ResponseLine[];
}

export function loadClientFixture(name: ClientFixtureName): ClientFixture {
  const dir = path.join(CLIENT_FIXTURES_DIR, name);
  const manifest = JSON.parse(
    fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'),
  ) as ClientFixtureManifest;
  const text = fs.readFileSync(path.join(dir, 'session.jsonl'), 'utf8');
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordLine);
  const session = lines.find((l): l is SessionLine => l.type === 'session');
  if (!session) throw new Error(`fixture ${name}: no session line in session.jsonl`);
  return {
    name,
    manifest,
    text,
    lines,
    session,
    requests: lines.filter((l): l is RequestLine => l.type === 'request'),
    responses: lines.filter((l): l is ResponseLine => l.type === 'response'),
  };
}

/**
 * Put fixture `name` into `dataDir` where the recorder would have written it
 * (sessions/<UTC day of its first request>/<session id>.jsonl); returns the file's path.
 */
export function installClientFixture(dataDir: string, name: ClientFixtureName): string {
  const fx = loadClientFixture(name);
  const day = new Date(fx.session.at).toISOString().slice(0, 10);
  const dir = path.join(dataDir, 'sessions', day);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${fx.session.session_id}.jsonl`);
  fs.writeFileSync(file, fx.text, { mode: 0o600 });
  return file;
}
