// Bundles the extension (dist/extension.js) or, with --tests, the unit tests (out/test/*.js,
// with `vscode` replaced by a stub so that node's test runner can load them).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

const tests = process.argv.includes('--tests');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

if (tests) {
  const entryPoints = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`);
  await build({ ...common, entryPoints, outdir: 'out/test', sourcemap: 'inline',
                alias: { vscode: './test/vscode-stub.cjs' } });
} else {
  await build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js',
                external: ['vscode'], minify: true, sourcemap: false });
}
