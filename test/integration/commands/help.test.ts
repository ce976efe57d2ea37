import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { EXIT_CODE_MEANINGS } from '../../../src/lib/errors.js';
import { mapAll } from '../../../src/lib/util/concurrency.js';

const manifest = JSON.parse(
  readFileSync(new URL('../../../oclif.manifest.json', import.meta.url), 'utf8'),
) as {
  commands: Record<string, unknown>;
};

/** The lines of a help section (`FLAGS`, `GLOBAL FLAGS` …), up to the next section header. */
function section(help: string, header: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^[A-Z][A-Z ]+$/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim() !== '');
}

/** Where a flag row's long name and its description start: `  -y, --yes   Answer…` → [6, 16]. */
function columns(row: string): [number, number] | undefined {
  const m = /^( +(?:-\w, )?)(--\S+) +(\S)/.exec(row);
  return m ? [m[1]!.length, m.index + m[0].length - 1] : undefined;
}

// Every command's --help as a user reads it without a terminal (80 columns): the built CLI.
describe('every command --help', () => {
  const ids = Object.keys(manifest.commands);
  const helps = new Map<string, string>();

  it(`renders for all ${ids.length} commands`, async () => {
    await mapAll(ids, 2, async (id) => {
      const r = await runEectl([...id.split(':'), '--help'], { timeoutMs: 60_000 });
      expect(r.code, `${id}: ${r.stderr}`).toBe(0);
      helps.set(id, r.stdout);
    });
    expect(helps.size).toBeGreaterThan(25);
  }, 120_000);

  it('lines up the flag columns: long names under each other, descriptions under each other', () => {
    const broken: string[] = [];
    for (const [id, help] of helps) {
      for (const header of ['FLAGS', 'GLOBAL FLAGS']) {
        const rows = section(help, header)
          .map(columns)
          .filter((c): c is [number, number] => c !== undefined);
        const names = new Set(rows.map(([name]) => name));
        const texts = new Set(rows.map(([, text]) => text));
        if (names.size > 1 || texts.size > 1) broken.push(`${id} ${header}: ${JSON.stringify(rows)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('ends with the exit-code table, one code a line', () => {
    const table = Object.entries(EXIT_CODE_MEANINGS).map(
      ([code, meaning]) => `  ${code.padEnd(5)}${meaning}`,
    );
    for (const [id, help] of helps) expect(section(help, 'EXIT CODES'), id).toEqual(table);
  });

  it('--json says what the envelope is', () => {
    for (const [id, help] of helps) {
      const json = section(help, 'GLOBAL FLAGS').join(' ').replace(/\s+/g, ' ');
      expect(json, id).toMatch(/--json +Print one JSON document on stdout: \{"status": 0, "result"/);
      expect(json, id).toContain('schema/output.schema.json');
    }
  });

  /** The commands that read no cluster file: the sandbox's, and version. */
  const WITHOUT_A_FILE = /^(sandbox:|version$)/;
  it('offers -c only to commands that read a cluster file', () => {
    for (const [id, help] of helps) expect(help.includes('-c, --config'), id).toBe(!WITHOUT_A_FILE.test(id));
  });

  it('does not call the dashboard’s printed token one-time: it works until the server stops', () => {
    const help = helps.get('dashboard')!.replace(/\s+/g, ' ');
    expect(help).not.toContain('one-time access token');
    expect(help).toContain('an access token that works until the server stops');
  });
});
