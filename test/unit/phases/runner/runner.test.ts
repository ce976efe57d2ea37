import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../../../src/lib/phases/runner/changes.js';
import type { Phase, PhaseContext, PhaseTiming } from '../../../../src/lib/phases/runner/phase.js';
import { runPhases } from '../../../../src/lib/phases/runner/runner.js';
import { composedPhase, type SharedContext } from '../../../../src/lib/phases/runner/compose.js';
import { nullLogger } from '../../../../src/lib/util/log.js';

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

  it('checks what a phase needs before it runs: a list that puts it before what sets the field fails, naming both', async () => {
    type Found = Ctx & { found?: string };
    const ctx: Found = context();
    const finder: Phase<Found> = { title: 'find', run: async (c) => void (c.found = 'x') };
    const user: Phase<Found, 'found'> = {
      title: 'use',
      needs: ['found'],
      // The type says `found` is set: no `!` needed.
      run: async (c) => void c.events.push(`use ${c.found.toUpperCase()}`),
    };
    await expect(runPhases([user, finder], ctx, 'silent')).rejects.toThrow(
      'bug: phase "use" needs found, which no phase before it set',
    );
    expect(ctx.events).toEqual([]);
    await runPhases([finder, user], ctx, 'silent');
    expect(ctx.events).toEqual(['use X']);
  });
});

describe('composedPhase', () => {
  type Inner = Ctx & { inner: true };
  const innerOf = (ctx: Ctx, shared: SharedContext): Inner => ({
    ...shared,
    events: ctx.events,
    inner: true,
  });

  it("runs another list's phases as one phase: in order, their changes in the outer change log", async () => {
    const ctx = context();
    const composed = composedPhase<Ctx, Inner>({
      title: 'nested',
      phases: [phase('x') as Phase<Inner>, phase('y') as Phase<Inner>],
      context: innerOf,
    });
    const timings = await runPhases([phase('a'), composed, phase('c')], ctx, 'silent');
    // The inner phases' times are the outer run's too, after the composed phase's own.
    expect(timings.map((t) => t.title)).toEqual(['a', 'nested', 'nested › x', 'nested › y', 'c']);
    expect(ctx.events).toEqual([
      'run a',
      'changed by a',
      'run x',
      'changed by x',
      'run y',
      'changed by y',
      'run c',
      'changed by c',
    ]);
    expect(ctx.changes.forHost('h1')).toEqual(['change by a', 'change by x', 'change by y', 'change by c']);
  });

  it('a failure inside cleans up the inner phases, then the outer ones, and fails the outer run', async () => {
    const ctx = context();
    const cleanup = (t: string) => async (c: Ctx) => void c.events.push(`cleanup ${t}`);
    const composed = composedPhase<Ctx, Inner>({
      title: 'nested',
      phases: [
        phase('x', { cleanup: cleanup('x') }) as Phase<Inner>,
        phase('y', { run: () => Promise.reject(new Error('y broke')) }) as Phase<Inner>,
      ],
      context: innerOf,
    });
    await expect(
      runPhases([phase('a', { cleanup: cleanup('a') }), composed, phase('c')], ctx, 'silent'),
    ).rejects.toThrow('y broke');
    expect(ctx.events).toEqual(['run a', 'changed by a', 'run x', 'changed by x', 'cleanup x', 'cleanup a']);
  });
});
