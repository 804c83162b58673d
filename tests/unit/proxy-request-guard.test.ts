// The proxy's Host/Origin policy as a pure function: which requests look like a local program, which like a web
// page, which carry a foreign Host; the proxy.allowed_hosts parser and its messages; the bounded refusal log.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src-main/config/load.js';
import { isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';
import { MAX_LOGGED_REFUSALS, RequestGuard, type RequestSource } from '../../src-main/proxy/request-guard.js';
import { allowedHostList } from '../../src-main/proxy/allowed-hosts.js';

const PORT = 8081;
const UI = 'http://127.0.0.1:8082';

function guard(allowedHosts: string[] = [], logged: string[] = [], listenHost = '127.0.0.1'): RequestGuard {
  return new RequestGuard({
    listenHost,
    port: PORT,
    allowedHosts,
    uiOrigins: () => [UI, 'http://localhost:8082'],
    logger: { debug() {}, info() {}, warn: (m: string) => logged.push(m), error() {} },
    configFile: '/home/u/.lunaroute/config.yaml',
  });
}

const ctx = { homeDir: '/home/u', baseDir: '/home/u' };

describe('Host: loopback names with our port, or listed hosts', () => {
  it.each([
    ['127.0.0.1:8081', 'local'],
    ['localhost:8081', 'local'],
    ['LOCALHOST:8081', 'local'],
    ['[::1]:8081', 'local'],
    ['127.0.0.2:8081', 'local'],
    ['127.0.0.1:8082', 'foreign_host'],
    ['127.0.0.1', 'foreign_host'],
    ['127.1.2.300:8081', 'foreign_host'],
    ['evil.example:8081', 'foreign_host'],
    ['localhost.evil.example:8081', 'foreign_host'],
    ['0.0.0.0:8081', 'foreign_host'],
  ])('Host %s is %s', (host, kind) => {
    expect(guard().classify({ host }).kind).toBe(kind);
  });

  it('refuses a request with no Host header at all', () => {
    expect(guard().classify({})).toEqual({ kind: 'foreign_host', host: '' });
  });

  it('accepts a listed name with the proxy port or bare, and a listed name:port exactly', () => {
    const g = guard(['lunaroute.internal', 'box.lan:9000']);
    expect(g.classify({ host: 'lunaroute.internal:8081' }).kind).toBe('local');
    expect(g.classify({ host: 'lunaroute.internal' }).kind).toBe('local');
    expect(g.classify({ host: 'box.lan:9000' }).kind).toBe('local');
    expect(g.classify({ host: 'box.lan:8081' }).kind).toBe('foreign_host');
    expect(g.classify({ host: 'other.lan:8081' }).kind).toBe('foreign_host');
  });

  it('accepts the address it listens on when that is not loopback, but never a wildcard', () => {
    expect(guard([], [], '192.168.1.5').classify({ host: '192.168.1.5:8081' }).kind).toBe('local');
    expect(guard([], [], '0.0.0.0').classify({ host: '0.0.0.0:8081' }).kind).toBe('foreign_host');
  });
});

describe('browser signals', () => {
  const host = '127.0.0.1:8081';
  it.each<[Record<string, string>, RequestSource['kind']]>([
    [{}, 'local'],
    [{ origin: 'https://evil.example' }, 'browser'],
    [{ origin: 'null' }, 'browser'],
    [{ origin: 'http://127.0.0.1:3000' }, 'browser'],
    [{ origin: UI }, 'local'],
    [{ origin: 'http://localhost:8082', 'sec-fetch-site': 'same-site' }, 'local'],
    [{ origin: 'http://127.0.0.1:8081' }, 'local'],
    [{ 'sec-fetch-site': 'cross-site' }, 'browser'],
    [{ 'sec-fetch-site': 'same-site' }, 'browser'],
    [{ 'sec-fetch-site': 'none' }, 'local'],
    [{ 'sec-fetch-site': 'same-origin' }, 'local'],
  ])('%j is %s', (headers, kind) => {
    expect(guard().classify({ host, ...headers }).kind).toBe(kind);
  });
});

describe('refusals', () => {
  it('refuses a browser request without credentials only where a stored credential would be added', () => {
    const g = guard();
    const browser: RequestSource = { kind: 'browser', from: 'Origin https://evil.example' };
    expect(g.refusal(browser, {}, true)?.code).toBe('cross_site_request');
    expect(g.refusal(browser, {}, false)).toBeNull();
    expect(g.refusal(browser, { 'x-api-key': 'own' }, true)).toBeNull();
    expect(g.refusal(browser, { authorization: 'Bearer own' }, true)).toBeNull();
    expect(g.refusal({ kind: 'local' }, {}, true)).toBeNull();
  });

  it('refuses a foreign Host everywhere, naming the allowed hosts and the config key and file', () => {
    const r = guard().refusal({ kind: 'foreign_host', host: 'evil.example:8081' }, {}, false);
    expect(r?.status).toBe(403);
    expect(r?.code).toBe('host_not_allowed');
    expect(r?.message).toContain('"evil.example:8081"');
    expect(r?.message).toContain('127.0.0.1:8081');
    expect(r?.message).toContain('proxy.allowed_hosts in /home/u/.lunaroute/config.yaml');
  });

  it(`logs the first refusal per origin once, and stops after ${MAX_LOGGED_REFUSALS} origins with one line`, () => {
    const logged: string[] = [];
    const g = guard([], logged);
    for (let i = 0; i < 3; i++) g.refusal({ kind: 'browser', from: 'Origin https://a.example' }, {}, true);
    expect(logged).toHaveLength(1);
    for (let i = 0; i < MAX_LOGGED_REFUSALS + 50; i++)
      g.refusal({ kind: 'browser', from: `Origin https://${i}.example` }, {}, true);
    expect(logged).toHaveLength(MAX_LOGGED_REFUSALS + 1);
    expect(logged.at(-1)).toContain('no longer logged');
    g.refusal({ kind: 'browser', from: 'Origin https://late.example' }, {}, true);
    expect(logged).toHaveLength(MAX_LOGGED_REFUSALS + 1);
  });
});

describe('proxy.allowed_hosts', () => {
  it('accepts names, name:port, IPv4 and [IPv6], lower-cased; a string is a comma list', () => {
    expect(allowedHostList(['LunaRoute.Internal', 'box:9000', '10.0.0.2', '[fd00::1]:8081'], ctx)).toEqual([
      'lunaroute.internal',
      'box:9000',
      '10.0.0.2',
      '[fd00::1]:8081',
    ]);
    expect(allowedHostList('a.lan, b.lan', ctx)).toEqual(['a.lan', 'b.lan']);
    expect(allowedHostList(undefined, ctx)).toEqual([]);
  });

  it.each([
    ['http://box.lan', 'http://box.lan'],
    ['fd00::1', 'fd00::1'],
    ['box.lan:0', 'box.lan:0'],
    ['box.lan:99999', 'box.lan:99999'],
    ['bad_name', 'bad_name'],
  ])('rejects %s with a message naming it', (entry, shown) => {
    expect(() => allowedHostList([entry], ctx)).toThrow(LunaRouteError);
    expect(() => allowedHostList([entry], ctx)).toThrow(
      `has ${JSON.stringify(shown)}, which is not a host name, IPv4 address or [IPv6] address with an optional :port`,
    );
  });

  it('rejects a value that is not a list of strings', () => {
    expect(() => allowedHostList([1], ctx)).toThrow('must be a list of host names');
  });
});

describe('proxy.allowed_hosts in the config file', () => {
  function loadYaml(yaml: string) {
    const home = mkdtempSync(join(tmpdir(), 'lr-guard-config-'));
    const file = join(home, 'config.yaml');
    writeFileSync(file, yaml);
    try {
      return loadConfig({ homeDir: home, cwd: home, env: {}, flags: { config: file } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }

  it('reaches config.proxy.allowedHosts, with no unknown-key warning', () => {
    const { config, warnings } = loadYaml('proxy:\n  allowed_hosts: [LunaRoute.Internal, "box:9000"]\n');
    expect(config.proxy.allowedHosts).toEqual(['lunaroute.internal', 'box:9000']);
    expect(warnings).toEqual([]);
  });

  it('is an error naming the key and the entry when an entry is not a host', () => {
    let err: unknown;
    try {
      loadYaml('proxy:\n  allowed_hosts: ["http://box.lan"]\n');
    } catch (e) {
      err = e;
    }
    expect(isLunaRouteError(err, 'CONFIG_INVALID_VALUE')).toBe(true);
    expect((err as Error).message).toContain(
      'proxy.allowed_hosts has "http://box.lan", which is not a host name',
    );
  });
});
