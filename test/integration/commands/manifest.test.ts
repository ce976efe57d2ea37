import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const commandFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/**
 * The CLI starts from oclif.manifest.json (written by `npm run build`) instead of importing every command
 * to learn them: a command or flag missing from it would be unknown to `eectl`, or missing from --help.
 */
describe('oclif.manifest.json', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
    version: string;
    commands: Record<string, { flags: Record<string, unknown>; aliases: string[] }>;
  };

  it('names every command of src/commands, with its flags, at the package version', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(manifest.version).toBe(version);
    const dir = join(root, 'src/commands');
    const files = commandFiles(dir);
    const ids = files.map((f) =>
      relative(dir, f)
        .replace(/(\/index)?\.ts$/, '')
        .split('/')
        .join(':'),
    );
    expect(Object.keys(manifest.commands).sort()).toEqual(ids.sort());
    for (const [i, file] of files.entries()) {
      const command = (await import(file)) as { default: { flags?: Record<string, unknown> } };
      const id = ids[i]!;
      expect(Object.keys(manifest.commands[id]!.flags).sort(), id).toEqual(
        expect.arrayContaining(Object.keys(command.default.flags ?? {}).sort()),
      );
    }
  });
});
