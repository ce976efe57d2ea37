import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LIB_DIR } from '../../../../src/lib/lib-dir.js';
import { PLUGIN_MODULES } from '../../../../src/lib/phases/converge/access.js';
import { GATE_MODULES } from '../../../../src/lib/phases/registry-gate.js';
import { RELAY_MODULES } from '../../../../src/lib/phases/registry-webhooks.js';
import { WATCHER_MODULES } from '../../../../src/lib/phases/ingress-watcher.js';
import { Host } from '../../../../src/lib/host/host.js';
import { ChangeLog } from '../../../../src/lib/phases/runner/changes.js';
import {
  deployProgram,
  hiddenPaths,
  ownUserService,
  type NodeProgram,
  type ProgramPlace,
} from '../../../../src/lib/phases/converge/node-program.js';
import { nullLogger } from '../../../../src/lib/util/log.js';
import { ScriptedConnection } from '../../../helpers/scripted-connection.js';

const PLACE: ProgramPlace = {
  what: 'the test program',
  dirs: [
    ['/opt/eectl/test', '0755'],
    ['/opt/eectl/test/lib', '0755'],
  ],
  node: '/opt/eectl/test/node',
  manifest: '/opt/eectl/test/manifest.json',
  unit: 'eectl-test.service',
};

const PLAN: NodeProgram = {
  runtime: {
    path: '/usr/bin/node',
    version: 'v22.0.0',
    sha256: 'node-sum',
    bytes: 4,
    content: async () => Buffer.from('node'),
  },
  files: [{ path: '/opt/eectl/test/lib/main.js', content: 'main', mode: 0o644 }],
  manifest: JSON.stringify({ node: 'node-sum', files: { main: 'sum-2' } }),
};

/** A host whose manifest is `installed` and whose unit is `active` or not; `deploy` runs deployProgram on it. */
function hostWith(installed: string | undefined, active: boolean) {
  const conn = new ScriptedConnection('10.0.0.11', [
    {
      match: /^systemctl is-active/,
      answer: { code: active ? 0 : 3, stdout: active ? 'active\n' : 'inactive\n' },
    },
    {
      match: /^sha256sum -- \/opt\/eectl\/test\/node$/,
      answer: { stdout: 'node-sum  /opt/eectl/test/node\n' },
    },
    { match: /^(install -d|systemctl)/, answer: {} },
  ]);
  if (installed !== undefined) conn.files.set(PLACE.manifest, Buffer.from(installed));
  const host = new Host(
    { address: '10.0.0.11', role: 'manager', ssh: {}, localhost: false, labels: {} },
    conn,
  );
  const ctx = { log: nullLogger, changes: new ChangeLog(false), concurrency: 1 };
  return { conn, ctx, host, lines: () => conn.commands.map((c) => c.join(' ')) };
}

describe('deployProgram: the one way eectl deploys a program on a host', () => {
  it('installs, then starts, a program the host lacks, and records the manifest only after the start', async () => {
    const { conn, ctx, host, lines } = hostWith(undefined, false);
    const order: string[] = [];
    await deployProgram(ctx, host, PLAN, PLACE, {
      prepare: async () => (order.push(`prepare, ${conn.uploads.length} uploads`), false),
      settings: async () => (order.push(`settings, ${conn.uploads.length} uploads`), false),
    });
    // prepare before any file, settings after the files and before the start.
    expect(order).toEqual(['prepare, 0 uploads', 'settings, 2 uploads']);
    expect(lines()).toEqual([
      'install -d -m 0755 /opt/eectl/test /opt/eectl/test/lib',
      'sha256sum -- /opt/eectl/test/node',
      'systemctl daemon-reload',
      'systemctl enable eectl-test.service',
      'systemctl is-active eectl-test.service',
      'systemctl start eectl-test.service',
    ]);
    expect(conn.uploads.map((u) => u.path)).toEqual([
      '/opt/eectl/test/node',
      '/opt/eectl/test/lib/main.js',
      // Last: a run stopped before the start installs again next time.
      '/opt/eectl/test/manifest.json',
    ]);
  });

  it('restarts an installed, running program when prepare or settings changed what it holds, and only then', async () => {
    for (const [prepared, settled, restart] of [
      [false, false, false],
      [true, false, true],
      [false, true, true],
    ] as const) {
      const { ctx, host, lines, conn } = hostWith(PLAN.manifest, true);
      await deployProgram(ctx, host, PLAN, PLACE, {
        prepare: async () => prepared,
        settings: async () => settled,
      });
      // Nothing installed: the manifest is the plan's.
      expect(lines().filter((l) => l.startsWith('install -d'))).toEqual([]);
      expect(conn.uploads).toEqual([]);
      expect(lines().includes('systemctl restart eectl-test.service')).toBe(restart);
      expect(ctx.changes.entries.map((e) => e.description)).toEqual(
        restart ? ['restart eectl-test.service'] : [],
      );
    }
  });

  it('starts an installed program that does not run, with nothing changed', async () => {
    const { ctx, host, lines } = hostWith(PLAN.manifest, false);
    await deployProgram(ctx, host, PLAN, PLACE);
    expect(lines()).toContain('systemctl start eectl-test.service');
  });
});

describe('the unit lines programs share', () => {
  it('keep the text earlier versions wrote (another text would reinstall every program once)', () => {
    expect(ownUserService('eectl-ingress')).toEqual([
      'User=eectl-ingress',
      'Group=eectl-ingress',
      'CapabilityBoundingSet=',
    ]);
    expect(hiddenPaths()).toBe(
      'InaccessiblePaths=-/run/docker.sock -/var/run/docker.sock -/run/containerd -/etc/eectl/pki',
    );
    expect(hiddenPaths('/etc/eectl/registry')).toBe(
      'InaccessiblePaths=-/run/docker.sock -/var/run/docker.sock -/run/containerd -/etc/eectl/pki -/etc/eectl/registry',
    );
  });
});

/** Every program eectl ships, with the modules it reads by their path under the lib folder. */
const PROGRAMS: [string, readonly string[]][] = [
  ['the authorization plugin and token service', PLUGIN_MODULES],
  ['the ingress watcher', WATCHER_MODULES],
  ['the webhook relay', RELAY_MODULES],
  ['the registry gate', GATE_MODULES],
];

describe('where the shipped programs are read from', () => {
  it('LIB_DIR is the folder every module list names its files under', () => {
    for (const [, modules] of PROGRAMS) {
      for (const name of modules) {
        expect(existsSync(new URL(name.replace(/\.js$/, '.ts'), LIB_DIR)), name).toBe(true);
      }
    }
  });

  // Built code, as eectl runs: npm test builds dist/ first. A reader whose idea of the lib folder is wrong
  // (it moved and resolved '../' from its new place) fails here, not on the first real install.
  it.each(PROGRAMS)('the built nodeProgram reads the modules of %s from dist/lib', async (_, modules) => {
    const distLib = join(import.meta.dirname, '../../../../dist/lib');
    const built = join(distLib, 'phases/converge/node-program.js');
    expect(existsSync(built), `${built}: run npm run build first`).toBe(true);
    const { nodeProgram } = (await import(pathToFileURL(built).href)) as {
      nodeProgram: (dir: string, modules: readonly string[], others: []) => Promise<NodeProgram>;
    };
    const plan = await nodeProgram('/opt/eectl/test', modules, []);
    for (const name of modules) {
      const file = plan.files.find((f) => f.path === `/opt/eectl/test/${name}`);
      expect(file?.content, name).toBe(readFileSync(join(distLib, name), 'utf8'));
    }
  });
});
