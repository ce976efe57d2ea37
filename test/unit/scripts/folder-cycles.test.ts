import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderCycles, nestedViolations } from '../../../scripts/folder-cycles.mjs';

const SCRIPT = join(import.meta.dirname, '../../../scripts/folder-cycles.mjs');

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A tiny src/lib: each key a file under it, each value its text. */
function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'folder-cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Runs the check as `npm run lint` does: its exit code and what it printed. */
function run(dir: string): { code: number; output: string } {
  try {
    const stdout = execFileSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: err.stdout + err.stderr };
  }
}

const LAYERED = {
  'errors.ts': 'export class UsageError extends Error {}\n',
  'util/redact.ts': "import { UsageError } from '../errors.js';\nexport const redact = (s: string) => s;\n",
  'host/layout.ts': "export const LOCK_DIR = '/var/lib/eectl/lock';\n",
  'host/facts.ts': "import { LOCK_DIR } from './layout.js';\nimport { redact } from '../util/redact.js';\n",
  'cluster/lock.ts': "import { LOCK_DIR } from '../host/layout.js';\n",
  // The commands layer is left out: it may import anything, and src/lib never imports it.
  'base-command.ts': "import { LOCK_DIR } from './cluster/lock.js';\n",
  // A string or a comment that looks like an import is not one.
  'util/text.ts':
    "// import { x } from '../host/facts.js'\nexport const s = \"import('../cluster/lock.js')\";\n",
};

describe('the folder-cycles check', () => {
  it('passes on folders that import one way only', () => {
    const dir = tree(LAYERED);
    expect(folderCycles(dir)).toEqual([]);
    const { code, output } = run(dir);
    expect(code).toBe(0);
    expect(output).toContain('no import cycle');
  });

  it('fails on a cycle between two folders, naming an import of each edge', () => {
    const dir = tree({
      ...LAYERED,
      'host/install-record.ts': "import { LOCK } from '../cluster/lock.js';\n",
    });
    const { code, output } = run(dir);
    expect(code).toBe(1);
    expect(output).toContain('cluster → host → cluster');
    expect(output).toContain("host/install-record.ts imports '../cluster/lock.js'");
    expect(output).toContain("cluster/lock.ts imports '../host/layout.js'");
  });

  it('counts a type-only import, an export … from and a dynamic import', () => {
    for (const line of [
      "import type { Lock } from '../cluster/lock.js';\n",
      "export { LOCK } from '../cluster/lock.js';\n",
      "export const load = () => import('../cluster/lock.js');\n",
    ]) {
      const dir = tree({ ...LAYERED, 'host/record.ts': line });
      expect(folderCycles(dir).map((c) => c.nodes)).toEqual([['cluster', 'host', 'cluster']]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a longer cycle through three folders, and a file directly under the root as its own node', () => {
    const dir = tree({ ...LAYERED, 'errors.ts': "import { LOCK_DIR } from './cluster/lock.js';\n" });
    const cycles = folderCycles(dir);
    expect(cycles.map((c) => c.nodes)).toEqual([['cluster', 'host', 'util', 'errors', 'cluster']]);
    expect(cycles[0]?.edges.map((e) => e.example)).toHaveLength(4);
  });

  describe('the order inside the phase layer', () => {
    const PHASE_LAYER = {
      ...LAYERED,
      'phases/runner/phase.ts': "import { UsageError } from '../../errors.js';\nexport interface Phase {}\n",
      'phases/rolling/roll.ts': "import type { Phase } from '../runner/phase.js';\n",
      'phases/converge/engine.ts':
        "import type { Phase } from '../runner/phase.js';\nimport { roll } from '../rolling/roll.js';\n",
      'phases/label-nodes.ts':
        "import type { Phase } from './runner/phase.js';\nimport { engine } from './converge/engine.js';\n",
    };

    it('passes runner < rolling < converge < the phase files', () => {
      const dir = tree(PHASE_LAYER);
      expect(nestedViolations(dir)).toEqual([]);
      expect(run(dir)).toEqual({ code: 0, output: expect.stringContaining("the phase layer's order holds") });
    });

    it('fails shared work that imports a phase file, even where no cycle closes', () => {
      // Nothing imports converge/engine.ts back from a phase here, so only the order can see it.
      const dir = tree({
        ...PHASE_LAYER,
        'phases/label-nodes.ts': "import type { Phase } from './runner/phase.js';\n",
        'phases/converge/engine.ts': "import { labelNodes } from '../label-nodes.js';\n",
      });
      expect(folderCycles(dir)).toEqual([]);
      expect(nestedViolations(dir)).toEqual([
        {
          from: 'phases/converge',
          to: 'phases',
          example: expect.stringContaining("phases/converge/engine.ts imports '../label-nodes.js'"),
        },
      ]);
      const { code, output } = run(dir);
      expect(code).toBe(1);
      expect(output).toContain('phases/runner < phases/rolling < phases/converge < phases');
    });

    it('fails the runner importing the rolling path, and the rolling path importing converge', () => {
      const dir = tree({
        ...PHASE_LAYER,
        'phases/runner/steps.ts': "import { roll } from '../rolling/roll.js';\n",
        'phases/rolling/plan.ts': "import { engine } from '../converge/engine.js';\n",
      });
      expect(nestedViolations(dir).map((v) => `${v.from} > ${v.to}`)).toEqual([
        'phases/rolling > phases/converge',
        'phases/runner > phases/rolling',
      ]);
    });
  });
});
