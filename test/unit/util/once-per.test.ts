import { describe, expect, it } from 'vitest';
import { oncePer } from '../../../src/lib/util/once-per.js';

describe('oncePer', () => {
  it('computes once per key object and gives every later call the first value', () => {
    const calls: object[] = [];
    const read = oncePer((key: { name: string }) => {
      calls.push(key);
      return { of: key.name };
    });
    const a = { name: 'a' };
    const b = { name: 'a' };
    const first = read(a);
    expect(read(a)).toBe(first);
    // Another object with equal contents is another run: its own value.
    expect(read(b)).not.toBe(first);
    expect(calls).toEqual([a, b]);
  });

  it('shares a promise, so concurrent callers do not start the work twice', async () => {
    let started = 0;
    const plan = oncePer(async (_ctx: object) => {
      started++;
      await new Promise((r) => setTimeout(r, 5));
      return started;
    });
    const ctx = {};
    const [x, y] = await Promise.all([plan(ctx), plan(ctx)]);
    expect([x, y, started]).toEqual([1, 1, 1]);
  });

  it('keeps an undefined value as computed (no second call)', () => {
    let calls = 0;
    const nothing = oncePer((_k: object) => {
      calls++;
      return undefined;
    });
    const k = {};
    nothing(k);
    nothing(k);
    expect(calls).toBe(1);
  });
});
