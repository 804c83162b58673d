// Forward-proxy mode, pure parts: where a decrypted request goes (by the CONNECT host, any path), which CONNECT
// targets are tunnelled, parsing CONNECT targets, and the shell exports of `lunaroute env --mode forward`.
import { describe, expect, it } from 'vitest';
import { forwardExports } from '../../src-shared/shell-exports.js';
import {
  isLoopbackTarget,
  parseConnectTarget,
  trustHint,
  tunnelAllowed,
} from '../../src-main/proxy/connect/connect.js';
import { interceptedRoute } from '../../src-main/proxy/connect/route.js';
import { joinUpstreamUrl } from '../../src-main/proxy/routes.js';
import { makeTestConfig } from '../support/config.js';

const config = makeTestConfig({
  anthropicUrl: 'http://127.0.0.1:1/anthropic',
  openaiUrl: 'http://127.0.0.1:2/v1',
  chatgptUrl: 'http://127.0.0.1:3/backend-api/codex',
  anthropicKey: 'stored',
});

describe('interceptedRoute', () => {
  it.each([
    [
      'api.anthropic.com',
      '/v1/messages',
      {},
      'http://127.0.0.1:1/anthropic/v1/messages',
      'anthropic',
      'messages',
    ],
    [
      'api.anthropic.com',
      '/v1/messages/count_tokens',
      {},
      'http://127.0.0.1:1/anthropic/v1/messages/count_tokens',
      'anthropic',
      'count_tokens',
    ],
    ['api.anthropic.com', '/v1/models', {}, 'http://127.0.0.1:1/anthropic/v1/models', 'anthropic', 'models'],
    [
      'api.anthropic.com',
      '/api/oauth/usage',
      {},
      'http://127.0.0.1:1/anthropic/api/oauth/usage',
      'anthropic',
      'other',
    ],
    ['api.openai.com', '/v1/responses', {}, 'http://127.0.0.1:2/v1/responses', 'openai', 'responses'],
    [
      'api.openai.com',
      '/v1/chat/completions',
      {},
      'http://127.0.0.1:2/v1/chat/completions',
      'openai',
      'chat_completions',
    ],
    ['api.openai.com', '/dashboard/billing', {}, 'http://127.0.0.1:2/dashboard/billing', 'openai', 'other'],
    [
      'chatgpt.com',
      '/backend-api/codex/responses',
      {},
      'http://127.0.0.1:3/backend-api/codex/responses',
      'openai',
      'responses',
    ],
    [
      'chatgpt.com',
      '/backend-api/wham/usage',
      {},
      'http://127.0.0.1:3/backend-api/wham/usage',
      'openai',
      'other',
    ],
    [
      'llm.example.test',
      '/v1/messages',
      { 'anthropic-version': '2023-06-01' },
      'https://llm.example.test/v1/messages',
      'anthropic',
      'messages',
    ],
    [
      'llm.example.test',
      '/v1/chat/completions',
      {},
      'https://llm.example.test/v1/chat/completions',
      'openai',
      'chat_completions',
    ],
  ] as const)('%s %s → %s (%s %s)', (host, path, headers, target, dialect, endpoint) => {
    const r = interceptedRoute(config, host, path, headers);
    expect(joinUpstreamUrl(r.base, r.upstreamPath, '?q=1')).toBe(`${target}?q=1`);
    expect([r.dialect, r.endpoint]).toEqual([dialect, endpoint]);
  });

  it('forwards only the client’s own credentials, never a stored key', () => {
    expect(interceptedRoute(config, 'api.anthropic.com', '/v1/messages', {}).choice).toMatchObject({
      setHeaders: undefined,
      credentialSource: 'none',
    });
    expect(
      interceptedRoute(config, 'api.anthropic.com', '/v1/messages', { 'x-api-key': 'sk-ant-x' }).choice,
    ).toMatchObject({ setHeaders: undefined, credentialSource: 'client' });
  });
});

describe('CONNECT targets', () => {
  it.each([
    ['api.anthropic.com:443', { host: 'api.anthropic.com', port: 443 }],
    ['API.Anthropic.com.:443', { host: 'api.anthropic.com', port: 443 }],
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['[::1]:443', { host: '::1', port: 443 }],
  ])('parses %s', (raw, want) => expect(parseConnectTarget(raw)).toEqual(want));

  it.each([
    'api.anthropic.com',
    'http://x:443',
    'x:0',
    'x:99999',
    '[nope]:443',
    'a b:443',
    'user@x:443',
    '*',
  ])('rejects %s', (raw) => expect(parseConnectTarget(raw)).toBeNull());

  it('tunnels by policy: all, only loopback targets (never resolving names), or none', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', 'localhost'])
      expect(isLoopbackTarget(h), h).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', 'localhost.example.com', '::2', '128.0.0.1'])
      expect(isLoopbackTarget(h), h).toBe(false);
    expect(tunnelAllowed('all', 'example.com')).toBe(true);
    expect(tunnelAllowed('loopback', 'example.com')).toBe(false);
    expect(tunnelAllowed('loopback', '127.0.0.1')).toBe(true);
    expect(tunnelAllowed('none', '127.0.0.1')).toBe(false);
  });

  it('tells a user whose client rejects the CA which variable each client needs', () => {
    const hint = trustHint('/home/u/.lunaroute/ca/lunaroute-ca.pem');
    expect(hint).toContain('/home/u/.lunaroute/ca/lunaroute-ca.pem');
    expect(hint).toMatch(/Claude Code and OpenCode need NODE_EXTRA_CA_CERTS, Codex CODEX_CA_CERTIFICATE/);
  });
});

describe('lunaroute env --mode forward exports', () => {
  it('prints HTTPS_PROXY, the CA for Node and Codex and a loopback NO_PROXY, and no base URL', () => {
    const text = forwardExports('http://127.0.0.1:8081', '/home/u/.lunaroute/ca/lunaroute-ca.pem', [
      'api.anthropic.com',
    ]);
    const commands = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(commands).toEqual([
      'unset ANTHROPIC_BASE_URL OPENAI_BASE_URL;',
      'export HTTPS_PROXY=http://127.0.0.1:8081;',
      'export NODE_EXTRA_CA_CERTS=/home/u/.lunaroute/ca/lunaroute-ca.pem;',
      'export CODEX_CA_CERTIFICATE=/home/u/.lunaroute/ca/lunaroute-ca.pem;',
      'export NO_PROXY=localhost,127.0.0.1,::1;',
    ]);
    expect(text).not.toMatch(/export \w*BASE_URL/);
    expect(text).toContain('api.anthropic.com');
  });

  it('quotes a CA path with spaces or quotes for the shell', () => {
    const text = forwardExports(
      'http://127.0.0.1:8081',
      "/Users/Ann O'Neil/.lunaroute/ca/lunaroute-ca.pem",
      [],
    );
    expect(text).toContain(
      `export NODE_EXTRA_CA_CERTS='/Users/Ann O'\\''Neil/.lunaroute/ca/lunaroute-ca.pem';`,
    );
  });
});
