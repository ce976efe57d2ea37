import { describe, expect, it } from 'vitest';
import { formatPhaseTable, PhaseProgress, PlainPhaseLines } from '../../../src/lib/ui/progress.js';

describe('PhaseProgress: one line per phase, whatever the number of hosts', () => {
  it('shows the latest host with the count of hosts, at most once per interval', () => {
    const shown: string[] = [];
    let now = 0;
    const progress = new PhaseProgress(
      (l) => shown.push(l),
      2000,
      () => now,
    );
    for (let i = 1; i <= 500; i++) {
      now = i * 10; // 500 reports over 5 seconds
      progress.report(`10.0.${i >> 8}.${i & 255}`, 'in the swarm');
    }
    expect(shown.length).toBeLessThanOrEqual(3);
    expect(shown[0]).toBe('[10.0.0.1] in the swarm');
    expect(shown.at(-1)).toMatch(/^\[\d+ hosts\] 10\.0\.\d+\.\d+: in the swarm$/);
  });

  it('ends with the counts: changes and hosts changed, or that nothing changed', () => {
    const shown: string[] = [];
    const progress = new PhaseProgress((l) => shown.push(l), 0);
    progress.report('a', 'x');
    progress.report('b', 'y');
    progress.finish([{ host: 'a' }, { host: 'a' }, { host: 'b' }], false);
    expect(shown.at(-1)).toBe('3 changes: changed 2 hosts');
    progress.finish([], true);
    expect(shown.at(-1)).toBe('2 hosts, nothing would change');
  });
});

describe('PlainPhaseLines: the non-terminal rendering, one line per phase', () => {
  it('prints nothing while a phase runs, then one line with its counts and time; a skipped phase in one line', () => {
    const shown: string[] = [];
    let now = 0;
    const lines = new PlainPhaseLines(
      (l) => shown.push(l),
      30_000,
      () => now,
    );
    lines.start('Install engines');
    for (let i = 1; i <= 35; i++) {
      now += 100;
      lines.report(`10.0.0.${i}`, 'draining');
      lines.report(`10.0.0.${i}`, 'Setting up docker-ce (5:27.3.1-1~debian.12~bookworm) ...');
    }
    expect(shown).toEqual([]);
    lines.done([{ host: '10.0.0.1' }, { host: '10.0.0.2' }], false);
    lines.start('Label nodes');
    lines.skipped();
    expect(shown).toEqual([
      '✔ Install engines: 2 changes: changed 2 hosts (3.5s)',
      '↓ Label nodes: nothing to do',
    ]);
  });

  it('a phase of one host that changed nothing shows its own line, without the host; a failure says so', () => {
    const shown: string[] = [];
    const lines = new PlainPhaseLines(
      (l) => shown.push(l),
      30_000,
      () => 0,
    );
    lines.start('Preflight checks');
    lines.report('10.0.0.11', '4 hosts passed');
    lines.done([], false);
    lines.start('Lock the cluster');
    lines.failed();
    expect(shown).toEqual([
      '✔ Preflight checks: 4 hosts passed (0.0s)',
      '✖ Lock the cluster: failed after 0.0s',
    ]);
  });

  it('a long phase says it is still running at most once per heartbeat, with a count, never a raw line', () => {
    const shown: string[] = [];
    let now = 0;
    const lines = new PlainPhaseLines(
      (l) => shown.push(l),
      30_000,
      () => now,
    );
    lines.start('Restart engines');
    for (let s = 1; s <= 95; s++) {
      now = s * 1000;
      lines.report(`10.0.0.${s % 12}`, 'Unpacking docker-ce ...');
    }
    expect(shown).toEqual([
      '… Restart engines: running for 30s, 12 hosts so far',
      '… Restart engines: running for 60s, 12 hosts so far',
      '… Restart engines: running for 90s, 12 hosts so far',
    ]);
  });
});

describe("formatPhaseTable: the summary's Phases table", () => {
  it('one aligned row per phase that ran, the skipped ones counted on one line', () => {
    expect(
      formatPhaseTable([
        { title: 'Connect to hosts', seconds: 0.12, skipped: false },
        { title: 'Read the directory', seconds: 0, skipped: true },
        { title: 'Install engines and form the swarm', seconds: 61.04, skipped: false },
        { title: 'Install engines and form the swarm › Join', seconds: 12, skipped: false },
        { title: 'Deploy the registry replicas', seconds: 0, skipped: true },
      ]),
    ).toBe(
      [
        'Phases:',
        '  Connect to hosts                            0.1s',
        '  Install engines and form the swarm         61.0s',
        '  Install engines and form the swarm › Join  12.0s',
        '  2 skipped: nothing to do',
      ].join('\n'),
    );
  });
});
