// Credential sources: Codex's login in ~/.codex/auth.json (an API key, or ChatGPT tokens that must go to the
// ChatGPT Codex backend with `chatgpt-account-id`), read and watched here, and whether a request brings its own.
// When a stored credential is added is decided in credentials.ts (and request-guard.ts). No credential is ever
// logged: log lines say which *source* was used, never the value.
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';

export type CodexLogin =
  { kind: 'api_key'; apiKey: string } | { kind: 'chatgpt'; accessToken: string; accountId: string | null };

/** Parse the contents of Codex's auth.json. Returns null when it holds no usable credential. */
export function parseCodexAuth(text: string): CodexLogin | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object') return null;
  const d = doc as { auth_mode?: unknown; OPENAI_API_KEY?: unknown; tokens?: unknown };
  const tokens = (d.tokens && typeof d.tokens === 'object' ? d.tokens : {}) as {
    access_token?: unknown;
    account_id?: unknown;
  };
  const apiKey =
    typeof d.OPENAI_API_KEY === 'string' && d.OPENAI_API_KEY.length > 0 ? d.OPENAI_API_KEY : null;
  const access =
    typeof tokens.access_token === 'string' && tokens.access_token.length > 0 ? tokens.access_token : null;
  const chatgpt = access
    ? {
        kind: 'chatgpt' as const,
        accessToken: access,
        accountId: typeof tokens.account_id === 'string' ? tokens.account_id : null,
      }
    : null;
  // Codex records which login is active in auth_mode; without it an API key wins (Codex's own precedence).
  if (d.auth_mode === 'chatgpt' && chatgpt) return chatgpt;
  if (apiKey) return { kind: 'api_key', apiKey };
  return chatgpt;
}

/**
 * Keeps the current Codex login in memory and re-reads auth.json when it changes (Codex refreshes its tokens by
 * rewriting the file). Reads are async and never on the request path: requests see the last value read.
 */
export class CodexAuthFile {
  private login: CodexLogin | null = null;
  private watcher: FSWatcher | null = null;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Read the file once and start watching it. Resolves when the first read is done. */
  async start(): Promise<void> {
    await this.reload();
    // Watch the directory, not the file: the file may not exist yet (Codex not logged in) and atomic rewrites
    // replace the inode.
    const dir = path.dirname(this.file);
    if (!fs.existsSync(dir)) return;
    this.watcher = watch(dir, { depth: 0, ignoreInitial: true });
    const onEvent = (p: string): void => {
      if (path.resolve(p) === path.resolve(this.file)) void this.reload();
    };
    this.watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent);
    this.watcher.on('error', (err) => this.logger.warn(`watching ${dir} failed: ${String(err)}`));
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
  }

  current(): CodexLogin | null {
    return this.login;
  }

  async reload(): Promise<void> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch {
      if (this.login) this.logger.info(`Codex login file ${this.file} is gone; no Codex credentials in use`);
      this.login = null;
      return;
    }
    const next = parseCodexAuth(text);
    if (!next) this.logger.warn(`Codex login file ${this.file} holds no usable credential`);
    else if (next.kind !== this.login?.kind)
      this.logger.info(
        `Codex login from ${this.file}: ${next.kind === 'api_key' ? 'API key' : 'ChatGPT account'}`,
      );
    this.login = next;
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
  }
}

/** Where the credential on a forwarded request came from (recorded and shown; never the value). */
export type CredentialSource = 'client' | 'config' | 'codex_api_key' | 'codex_chatgpt' | 'none';

export function clientSentCredentials(headers: IncomingHttpHeaders): boolean {
  return headers['authorization'] !== undefined || headers['x-api-key'] !== undefined;
}
