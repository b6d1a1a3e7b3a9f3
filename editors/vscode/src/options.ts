// The server's option tree, as mirrored by package.json's `shapelens.*` settings (no vscode
// import: unit-tested with node's test runner).

/** Settings that configure the extension itself, not the server. */
export const EXTENSION_ONLY: ReadonlySet<string> = new Set(['interpreter', 'importStrategy', 'trace.server']);

interface PackageJson {
  contributes?: { configuration?: { properties?: Record<string, unknown> } };
}

/** The dotted option paths (`dryRun.mode`, ...) that package.json contributes for the server. */
export function optionPaths(packageJson: PackageJson): string[] {
  const properties = packageJson.contributes?.configuration?.properties ?? {};
  return Object.keys(properties)
    .filter((key) => key.startsWith('shapelens.'))
    .map((key) => key.slice('shapelens.'.length))
    .filter((path) => !EXTENSION_ONLY.has(path));
}

/** `[['dryRun.mode', 'onSave']]` -> `{dryRun: {mode: 'onSave'}}`; undefined values are left out. */
export function toTree(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of entries) {
    if (value === undefined) {
      continue;
    }
    const parts = path.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      node = (typeof child === 'object' && child !== null ? child : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return tree;
}
