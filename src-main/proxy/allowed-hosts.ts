// The `proxy.allowed_hosts` config value (its row is in config/schema.ts): extra Host names the proxy answers
// besides loopback names with its port. Parsed once at load time, so the guard (request-guard.ts) only compares
// strings.
import { isIP } from 'node:net';
import { splitList, valueProblem, type Parser } from '../config/parsers.js';

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/**
 * `proxy.allowed_hosts`: extra Host values the proxy answers, each `name`, `name:port`, an IPv4 address, or
 * `[v6]` (with an optional `:port`). Returned lower-case, IPv6 in brackets.
 */
export const allowedHostList: Parser<string[]> = (raw) => {
  const list = splitList(raw, 'host names (e.g. [lunaroute.internal, "my-box:8081"])');
  return list.map((entry) => {
    const s = entry.trim().toLowerCase();
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(s);
    const name = m?.[1] ?? '';
    const port = m?.[2];
    const nameOk = name.startsWith('[')
      ? isIP(name.slice(1, -1)) === 6
      : isIP(name) === 4 || HOSTNAME.test(name);
    if (!m || !nameOk || (port !== undefined && (Number(port) < 1 || Number(port) > 65535)))
      throw valueProblem(
        `has ${JSON.stringify(entry)}, which is not a host name, IPv4 address or [IPv6] address with an optional :port`,
      );
    return s;
  });
};
