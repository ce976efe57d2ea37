import { describe, expect, it } from 'vitest';
import { PhaseProgress } from '../../../src/lib/ui/progress.js';

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
