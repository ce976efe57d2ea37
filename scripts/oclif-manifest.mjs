/**
 * Writes oclif.manifest.json (part of `npm run build`): every command's id, flags and description, so the
 * CLI starts without importing every command module (and ssh2, zod, x509 … with them) to learn its
 * commands: `eectl --version` and `--help` load none, `eectl install` loads only install. oclif reads the
 * manifest from the package root; it is build output (gitignored), rewritten on every build so it never
 * lags dist/commands. This is what the `oclif manifest` command does, without that package.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const plugin = new Plugin({
  root,
  type: 'core',
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
const file = join(root, 'oclif.manifest.json');
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`wrote ${file} (${Object.keys(plugin.manifest.commands).length} commands)`);
