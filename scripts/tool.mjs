// The command line (src/cli.ts) run from one bundled file: through tsx, loading the tool's TypeScript
// took about 2 s at every command; bundled by esbuild (the packages left where they are) it loads in
// about 1 s. The bundle is made again whenever a source file changed (0.1–0.2 s).
import {createHash} from 'node:crypto';
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// One level under the project, as src/ is: the tool finds its own files from where it runs.
const folder = path.join(root, '.tool');

const sources = (await readdir(path.join(root, 'src'), {recursive: true, withFileTypes: true}))
  .filter((entry) => entry.isFile())
  .map((entry) => path.join(entry.parentPath, entry.name))
  .sort();
const hash = createHash('sha256');
for (const file of sources) hash.update(path.relative(root, file)).update(await readFile(file));
const bundle = path.join(folder, `cli-${hash.digest('hex').slice(0, 16)}.mjs`);

const made = await readFile(bundle).then(() => true, () => false);
if (!made) {
  const {build} = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(root, 'src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
    outfile: bundle,
    logLevel: 'error',
  });
  await mkdir(folder, {recursive: true});
  // Written whole, then renamed: a command started meanwhile never loads half a bundle.
  const temporary = `${bundle}.${process.pid}.tmp`;
  await writeFile(temporary, result.outputFiles[0].contents);
  await rename(temporary, bundle);
  // Bundles of earlier sources are of no more use.
  for (const old of await readdir(folder)) {
    if (/^cli-\w+\.mjs$/.test(old) && old !== path.basename(bundle)) await rm(path.join(folder, old), {force: true});
  }
}
// Stack traces (DEBUG=1) point into the TypeScript sources.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(bundle).href);
