// The shell exports of the two ways to point clients at LunaRoute, as text for `eval`: base-URL mode (each
// client's base URL is the proxy) and forward-proxy mode (HTTPS_PROXY plus the local CA to trust; clients keep
// their official base URLs). Pure: printed by `lunaroute env`, copied by the tray and the Settings view.

/** Loopback, never sent through the proxy (LunaRoute's own ports, local tools). */
export const NO_PROXY_LOOPBACK = 'localhost,127.0.0.1,::1';

/** Base-URL mode. Codex and OpenCode do not read these variables: the comments say what they need. */
export function baseUrlExports(origin: string): string {
  const openai = `${origin}/v1`;
  const opencode = JSON.stringify({ provider: { anthropic: { options: { baseURL: openai } } } });
  return [
    `export ANTHROPIC_BASE_URL=${origin}`,
    `export OPENAI_BASE_URL=${openai}`,
    `# Codex ignores OPENAI_BASE_URL: run codex -c openai_base_url='"${openai}"'`,
    `#   or set in ~/.codex/config.toml: openai_base_url = "${openai}"`,
    `# OpenCode: in ~/.config/opencode/opencode.json set ${opencode}`,
    '',
  ].join('\n');
}

/** A value for a POSIX shell: bare when it is plain, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Forward-proxy mode: every client keeps its official base URL and sends HTTPS through the proxy port; the
 * intercepted hosts are decrypted with a leaf from the CA at `caCertPath`, every other host is tunnelled.
 * Each command ends with `;`, so an unquoted `eval $(lunaroute env --mode forward)`, which joins the lines,
 * still runs them all; comments come last.
 */
export function forwardExports(origin: string, caCertPath: string, intercept: readonly string[]): string {
  const ca = shellWord(caCertPath);
  return [
    'unset ANTHROPIC_BASE_URL OPENAI_BASE_URL;',
    `export HTTPS_PROXY=${origin};`,
    `export NODE_EXTRA_CA_CERTS=${ca};`,
    `export CODEX_CA_CERTIFICATE=${ca};`,
    `export NO_PROXY=${NO_PROXY_LOOPBACK};`,
    `# Forward mode: every program started from this shell sends HTTPS through LunaRoute. Only`,
    `#   ${intercept.join(', ')} are decrypted and recorded; other hosts pass untouched.`,
    '# Claude Code and OpenCode trust the CA via NODE_EXTRA_CA_CERTS, Codex via CODEX_CA_CERTIFICATE.',
    '',
  ].join('\n');
}
