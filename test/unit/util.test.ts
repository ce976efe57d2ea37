import { describe, expect, it } from 'vitest';
import { mapAll, mapSettled } from '../../src/lib/util/concurrency.js';
import { formatBytes, renderTable } from '../../src/lib/util/table.js';

describe('mapSettled', () => {
  it('never runs more than the limit at once and keeps item order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapSettled([50, 10, 30, 20, 5], 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return i;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.ok ? r.value : -1))).toEqual([0, 1, 2, 3, 4]);
  });

  it('reports every failure and still finishes the others', async () => {
    const done: number[] = [];
    const results = await mapSettled([1, 2, 3], 3, async (n) => {
      if (n === 2) throw new Error('boom');
      done.push(n);
      return n;
    });
    expect(done.sort()).toEqual([1, 3]);
    expect(results[1]).toMatchObject({ ok: false });
    await expect(
      mapAll([1, 2, 3], 1, async (n) => (n === 3 ? Promise.reject(new Error('x')) : n)),
    ).rejects.toThrow('x');
  });
});

describe('renderTable', () => {
  it('aligns columns, ignoring colour codes', () => {
    const out = renderTable(
      ['A', 'BB'],
      [
        ['\u001b[32mxyz\u001b[39m', '1'],
        ['q', '22'],
      ],
    );
    expect(out.split('\n')).toEqual(['A    BB', '\u001b[32mxyz\u001b[39m  1', 'q    22']);
  });
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(24684100 * 1024)).toBe('24 GiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  });
});
