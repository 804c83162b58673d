// Where configuration values come from. Every invalid value, unreadable file or malformed YAML becomes a
// LunaRouteError with a CONFIG_* code and a one-line message naming where the value came from (file and key,
// environment variable or flag), so the CLI can print it as is and exit 2.

/** Where a raw value came from; rendered into messages as `(config.yaml: port)`, `(env LUNAROUTE_PORT)`, … */
export type ValueSource =
  | { kind: 'default' }
  | { kind: 'file'; file: string; key: string }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string };

export function describeSource(source: ValueSource): string {
  switch (source.kind) {
    case 'default':
      return 'built-in default';
    case 'file':
      return `${source.file}: ${source.key}`;
    case 'env':
      return `environment variable ${source.name}`;
    case 'flag':
      return `flag --${source.name}`;
  }
}
