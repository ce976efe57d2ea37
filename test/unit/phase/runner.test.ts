import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../../src/lib/phase/changes.js';
import type { Phase, PhaseContext, PhaseTiming } from '../../../src/lib/phase/phase.js';
import { runPhases } from '../../../src/lib/phase/runner.js';
import { nullLogger } from '../../../src/lib/ui/log.js';

const host = { name: 'h1', log: nullLogger };

function context(dryRun = false): PhaseContext & { events: string[] } {
  return { log: nullLogger, changes: new ChangeLog(dryRun), concurrency: 4, events: [] };
}

type Ctx = ReturnType<typeof context>;

const phase = (title: string, extra: Partial<Phase<Ctx>> = {}): Phase<Ctx> => ({
  title,
  run: async (ctx) => {
    ctx.events.push(`run ${title}`);
    await ctx.changes.apply(host, `change by ${title}`, async () => ctx.events.push(`changed by ${title}`));
  },
  ...extra,
});

describe('runPhases', () => {
  it('runs phases in order, skips those with nothing to do, and times them', async () => {
    const ctx = context();
    const timings = await runPhases(
      [phase('a'), phase('b', { shouldRun: () => false }), phase('c')],
      ctx,
      'silent',
    );
    expect(ctx.events).toEqual(['run a', 'changed by a', 'run c', 'changed by c']);
    expect(timings.map((t) => [t.title, t.skipped])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    expect(ctx.changes.forHost('h1')).toEqual(['change by a', 'change by c']);
  });

  it('under dry-run records changes without making them', async () => {
    const ctx = context(true);
    await runPhases([phase('a')], ctx, 'silent');
    expect(ctx.events).toEqual(['run a']);
    expect(ctx.changes.entries).toEqual([{ host: 'h1', description: 'change by a', applied: false }]);
  });

  it('cleans up the phases that ran, in reverse order, and rethrows', async () => {
    const ctx = context();
    const cleanup = (t: string) => async (c: Ctx) => void c.events.push(`cleanup ${t}`);
    const timings: PhaseTiming[] = [];
    await expect(
      runPhases(
        [
          phase('a', { cleanup: cleanup('a') }),
          phase('b', { cleanup: cleanup('b'), run: async () => Promise.reject(new Error('b broke')) }),
          phase('c', { cleanup: cleanup('c') }),
        ],
        ctx,
        'silent',
        timings,
      ),
    ).rejects.toThrow('b broke');
    expect(ctx.events).toEqual(['run a', 'changed by a', 'cleanup b', 'cleanup a']);
    expect(timings.map((t) => t.title)).toEqual(['a']);
  });
});
