// Captures real Claude Code traffic for the request-classification fixtures (tests/fixtures/analytics/). Skipped
// unless LUNAROUTE_CAPTURE=1: it runs the real client (tests/clients) through the proxy to the local fake provider
// with non-essential traffic allowed, so the background calls (title generation, token counting, quota probe) show
// up, and writes what the provider received as JSON with the throw-away HOME and the test key scrubbed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  runClient,
  startEgressTrap,
  type EgressTrap,
} from '../support/clients.js';
import { useRecordingStack } from '../support/recording-stack.js';

const OUT = path.resolve(import.meta.dirname, '..', 'fixtures', 'analytics', 'claude-code');
const KEY = 'sk-ant-lunaroute-test-key';

describe.skipIf(!process.env.LUNAROUTE_CAPTURE)('capture Claude Code traffic for fixtures', () => {
  const stack = useRecordingStack();
  let trap: EgressTrap;
  const homes: string[] = [];

  beforeAll(async () => {
    await ensureClientsInstalled();
    trap = await startEgressTrap();
  }, 660_000);

  afterAll(async () => {
    await trap?.close();
    for (const d of homes) fs.rmSync(d, { recursive: true, force: true });
  });

  const scenarios: [string, string[]][] = [
    ['hello', ['-p', 'Say hello']],
    ['tool', ['-p', 'SCENARIO:tool run the marker command', '--allowedTools', 'Bash']],
  ];
  for (const [name, args] of scenarios) {
    it(`captures ${name}`, async () => {
      stack.fake.clear();
      const home = makeClientHome(trap.url);
      homes.push(home.dir);
      const r = await runClient('claude', args, home, {
        ANTHROPIC_BASE_URL: stack.core.proxyUrl,
        ANTHROPIC_API_KEY: KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '',
      });
      expect(r.code, r.stderr).toBe(0);
      fs.mkdirSync(OUT, { recursive: true });
      const version = resolveClient('claude').version;
      stack.fake.requests.forEach((q, i) => {
        const scrub = (s: string): string =>
          s.split(home.dir).join('/home/user').split(KEY).join('[API_KEY]');
        const file = path.join(OUT, `${name}-${String(i + 1).padStart(2, '0')}.json`);
        const record = {
          client: `claude-code ${version}`,
          method: q.method,
          url: q.url,
          body: q.json === undefined ? null : JSON.parse(scrub(JSON.stringify(q.json))),
        };
        fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
      });
    }, 180_000);
  }
});
