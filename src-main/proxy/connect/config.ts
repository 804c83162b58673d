// Config of the forward-proxy mode (the `forward.*` keys; their rows are in config/schema.ts): which hosts a
// CONNECT is decrypted for, and which other targets may be tunnelled untouched.
import { valueProblem, stringList, type Parser } from '../../config/parsers.js';

/** The model hosts decrypted and recorded by default: Anthropic, OpenAI, and Codex on a ChatGPT plan. */
export const DEFAULT_INTERCEPT_HOSTS = ['api.anthropic.com', 'api.openai.com', 'chatgpt.com'] as const;

/**
 * Which CONNECT targets that are not intercepted get a byte-for-byte tunnel: `all`, only `loopback` ones
 * (127.0.0.0/8, ::1, localhost — tests, and a machine that must not reach anything else through the proxy),
 * or `none` (only the intercepted hosts work through the proxy).
 */
export const TUNNEL_POLICIES = ['all', 'loopback', 'none'] as const;
export type TunnelPolicy = (typeof TUNNEL_POLICIES)[number];
export const DEFAULT_TUNNEL_POLICY: TunnelPolicy = 'all';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?:${LABEL}\\.)+${LABEL}$|^localhost$`);

/** `forward.intercept`: DNS host names (no IP addresses, no wildcards), lower-cased, without duplicates. */
export const interceptHosts: Parser<string[]> = (raw, ctx) => {
  const list = stringList()(raw, ctx).map((h) => h.toLowerCase().replace(/\.$/, ''));
  for (const h of list) {
    if (h.length > 253 || !DNS_NAME.test(h) || /^[\d.]+$/.test(h))
      throw valueProblem(
        `must be a list of DNS host names like api.anthropic.com (no IP addresses, ports or wildcards); "${h}" is not one`,
      );
  }
  return [...new Set(list)];
};
