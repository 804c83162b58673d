// `${VAR}` / `${VAR:-default}` expansion for string values read from the config file. It runs after YAML
// parsing, on one value at a time, so comments and keys are never touched. `$${` is a literal `${`.
// Shell semantics for `:-`: the default applies when the variable is unset or empty.

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function expandVars(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  onUnset: (name: string) => void,
): string {
  return value.replace(REFERENCE, (match: string, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name!];
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
    if (v === undefined) {
      onUnset(name!);
      return '';
    }
    return v;
  });
}
