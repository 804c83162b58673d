// Config value parsers of the `otel.*` keys (the rows are in config/schema.ts).
import { plainHttpUrl, valueProblem, type Parser } from '../config/parsers.js';

/** `otel.endpoint`: '' (off) or an http(s) URL without credentials, query or fragment. */
export const otelEndpoint: Parser<string> = (raw) => {
  const problem = "must be '' (off) or an http:// or https:// URL without query string or fragment";
  if (raw === null || raw === undefined) return '';
  if (typeof raw !== 'string') throw valueProblem(problem);
  const s = raw.trim();
  return s === '' ? '' : plainHttpUrl(s, problem, 'use otel.headers');
};

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `otel.headers`: a mapping of header name to string value. */
export const otelHeaders: Parser<Record<string, string>> = (raw) => {
  if (raw === null || raw === undefined || raw === '') return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw valueProblem('must be a mapping of header name to value');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!TOKEN.test(name)) throw valueProblem(`has an invalid header name "${name}"`);
    if (typeof v !== 'string' && typeof v !== 'number')
      throw valueProblem(`has a non-string value for header ${name}`);
    const s = String(v);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(s)) throw valueProblem(`has control characters in header ${name}`);
    out[name.toLowerCase()] = s;
  }
  return out;
};
