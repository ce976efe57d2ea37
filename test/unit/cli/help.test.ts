import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_HELP } from '../../../src/lib/base-command.js';

const root = join(import.meta.dirname, '../../../src/commands');
const commandFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('every command --help', () => {
  it('shows the exit-code table and the --json envelope', async () => {
    const files = commandFiles(root);
    expect(files.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const file of files) {
      const command = (await import(file)) as { default: { description?: string } };
      if (!command.default.description?.includes(EXIT_CODES_HELP)) missing.push(relative(root, file));
    }
    expect(missing).toEqual([]);
    expect(EXIT_CODES_HELP).toContain('"status": 0, "result"');
    expect(EXIT_CODES_HELP).toContain('"status": N, "error"');
  });
});
