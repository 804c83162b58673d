// `lunaroute ca show|rotate|remove`: the forward-proxy CA in <data dir>/ca/. `show` creates it when missing
// (so its path can be exported before the first connection) and prints where it is, its fingerprint, validity
// and the names it may issue for; `--pem` prints the certificate itself. A running server notices a rotation or
// removal on its next intercepted connection; clients read the certificate at start-up and need a restart.
import { caCovers, caPaths, ensureCa, removeCa, rotateCa, type Ca } from '../ca/store.js';
import type { Config } from '../config/types.js';
import { usageError, type CliContext, type Command } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { loadConfigForCli } from './serve.js';

const ACTIONS = ['show', 'rotate', 'remove'] as const;

export function describeCa(ca: Ca): string {
  const day = (d: Date): string => d.toISOString().slice(0, 10);
  return [
    `certificate: ${ca.paths.cert}`,
    `key:         ${ca.paths.key} (private, 0600)`,
    `subject:     ${ca.commonName}`,
    `sha256:      ${ca.fingerprint}`,
    `valid:       ${day(ca.notBefore)} to ${day(ca.notAfter)}`,
    `may issue for: ${ca.hosts.join(', ')} (and their subdomains); no IP addresses, no other names`,
    '',
  ].join('\n');
}

function warnUncovered(ca: Ca, config: Config, ctx: CliContext): void {
  const missing = config.forward.intercept.filter((h) => !caCovers(ca, h));
  if (missing.length > 0) {
    ctx.stderr(
      `lunaroute: warning: forward.intercept lists ${missing.join(', ')}, which this CA may not issue for — run \`lunaroute ca rotate\`\n`,
    );
  }
}

export const caCommand: Command = {
  name: 'ca',
  summary: 'Show, rotate or remove the local CA of the forward-proxy mode',
  description:
    'show    print the CA certificate path, fingerprint, validity and permitted names (creates it if\n' +
    '        missing); with --pem, print the certificate in PEM\n' +
    'rotate  replace key and certificate (restart clients that trusted the old one)\n' +
    'remove  delete key and certificate (also remove it from any trust store you added it to)',
  positionals: [{ name: 'show|rotate|remove', description: 'what to do' }],
  options: [
    ...CONFIG_OPTIONS.filter((o) => ['data-dir', 'config'].includes(o.name)),
    { name: 'pem', type: 'boolean', description: 'show: print the certificate (PEM) instead' },
  ],
  notes: [
    'The CA is name-constrained to forward.intercept (default api.anthropic.com, api.openai.com,',
    'chatgpt.com): even with its key, no certificate for any other site can be made that a client accepts.',
  ],
  async run({ values, positionals }, ctx) {
    const action = positionals[0];
    if (positionals.length !== 1 || !ACTIONS.includes(action as (typeof ACTIONS)[number]))
      throw usageError(`expects one of ${ACTIONS.join(', ')}`, 'ca');
    const config = loadConfigForCli(values, ctx);
    if (action === 'remove') {
      const removed = await removeCa(config.dataDir);
      ctx.stdout(
        removed
          ? `Removed the LunaRoute CA from ${caPaths(config.dataDir).dir}. Remove it from any trust store you added it to; forward mode makes a new one on next use.\n`
          : `No LunaRoute CA in ${caPaths(config.dataDir).dir}: nothing to remove.\n`,
      );
      return 0;
    }
    if (values.pem === true && action !== 'show') throw usageError('--pem goes with show', 'ca');
    let ca: Ca;
    if (action === 'rotate') {
      ca = await rotateCa(config.dataDir, config.forward.intercept);
      ctx.stderr(
        'lunaroute: new CA created. Restart clients started before now (they read the certificate at start-up); a running LunaRoute switches on its next connection.\n',
      );
    } else {
      const r = await ensureCa(config.dataDir, config.forward.intercept);
      ca = r.ca;
      if (r.created) ctx.stderr(`lunaroute: created the CA in ${ca.paths.dir}\n`);
      warnUncovered(ca, config, ctx);
    }
    ctx.stdout(values.pem === true ? ca.certPem : describeCa(ca));
    return 0;
  },
};
