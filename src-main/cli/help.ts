// Help text for the top level and for each command. Every option line shows its environment variable and
// default, taken from the option table, so help cannot drift from what the loader does.
import { HELP_OPTION, type Command, type CommandOption } from './command.js';

const INDENT = '  ';

function optionLabel(o: CommandOption): string {
  const long = `--${o.name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

export function commandHelp(command: Command): string {
  const options = [...command.options, HELP_OPTION];
  const width = Math.max(...options.map((o) => optionLabel(o).length)) + 3;
  const positionals = (command.positionals ?? []).map((p) => ` <${p.name}>`).join('');
  const lines = [`Usage: lunaroute ${command.name}${positionals} [options]`, '', command.description, ''];
  if (command.positionals?.length) {
    lines.push('Arguments:');
    for (const p of command.positionals)
      lines.push(`${INDENT}${`<${p.name}>`.padEnd(width)}${p.description}`);
    lines.push('');
  }
  lines.push('Options:');
  for (const o of options) {
    lines.push(`${INDENT}${optionLabel(o).padEnd(width)}${o.description}`);
    const extra = [o.env && `env ${o.env}`, o.defaultText && `default ${o.defaultText}`].filter(Boolean);
    if (extra.length) lines.push(`${INDENT}${''.padEnd(width)}(${extra.join(', ')})`);
  }
  if (command.notes?.length) lines.push('', ...command.notes);
  return lines.join('\n') + '\n';
}

export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    `LunaRoute ${version}: a local passthrough proxy and recorder for AI coding assistants`,
    '',
    'Usage: lunaroute <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `${INDENT}${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    `${INDENT}-h, --help       Show this help`,
    `${INDENT}-v, --version    Print the version`,
    '',
    "Run 'lunaroute <command> --help' for the options of a command.",
    'Quick start: eval "$(lunaroute env)"   # then run claude, codex or opencode in the same shell',
    '',
  ].join('\n');
}
