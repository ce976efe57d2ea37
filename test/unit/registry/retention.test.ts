import { describe, expect, it } from 'vitest';
import { registrySpec } from './fixtures.js';
import {
  keepImmutable,
  parseDuration,
  planRetention,
  repositoryMatches,
  wildcardMatch,
  type RetentionRule,
  type TagFacts,
} from '../../../src/lib/registry/retention.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const tag = (name: string, d: string, age: number | undefined, signedBy?: string): TagFacts => ({
  tag: name,
  digest: digest(d),
  created: age === undefined ? undefined : daysAgo(age),
  ...(signedBy !== undefined && { signedBy }),
});
const kept = (r: ReturnType<typeof planRetention>) =>
  r?.tags
    .filter((t) => t.keep)
    .map((t) => t.tag)
    .sort();
const pruned = (r: ReturnType<typeof planRetention>) =>
  r?.tags
    .filter((t) => !t.keep)
    .map((t) => t.tag)
    .sort();

describe('newerThan durations', () => {
  it('reads hours, days and weeks', () => {
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
  });
  it.each(['30', '0d', '-1d', '30D', '1.5d', ' 30d', '30d ', 'd', '1y', '1234567d', '30days', '１d'])(
    'refuses %j (no default unit, no zero, no sign, nothing around it)',
    (text) => expect(parseDuration(text)).toBeUndefined(),
  );
  it('the schema refuses what the evaluator cannot read, and a clause or pattern that is not one', () => {
    const parse = (retention: unknown) => registrySpec({ retention }).retention;
    expect(
      parse([{ repository: 'team/*', keep: { last: 3, newerThan: '30d', matching: 'v*' } }]),
    ).toHaveLength(1);
    for (const bad of [
      [{ repository: 'team/*', keep: { newerThan: '30' } }],
      [{ repository: 'Team/*', keep: { last: 1 } }],
      [{ repository: 'team/../x', keep: { last: 1 } }],
      [{ repository: 'team//x', keep: { last: 1 } }],
      [{ repository: 'team/*', keep: { matching: 'v[0-9]' } }],
      [{ repository: 'team/*', keep: { last: -1 } }],
      [{ repository: 'team/*', keep: { lastt: 1 } }],
      [{ repository: 'team/*', keep: [] }],
    ]) {
      expect(() => parse(bad), JSON.stringify(bad)).toThrow();
    }
  });
});

describe('patterns', () => {
  it('matches tags with * and ?', () => {
    expect(wildcardMatch('v*', 'v1.2')).toBe(true);
    expect(wildcardMatch('v*', 'release-v1')).toBe(false);
    expect(wildcardMatch('v?.?', 'v1.2')).toBe(true);
    expect(wildcardMatch('v?.?', 'v10.2')).toBe(false);
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('*-rc*', '1.0-rc2')).toBe(true);
    // Regex characters are literal: '.' is a dot, not any character.
    expect(wildcardMatch('v1.0', 'v1x0')).toBe(false);
  });
  it('a hostile pattern takes linear-ish time, not exponential', () => {
    const started = performance.now();
    expect(wildcardMatch('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(128))).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
  it('matches repositories by path segment: * within one, ** across', () => {
    expect(repositoryMatches('team/*', 'team/app')).toBe(true);
    expect(repositoryMatches('team/*', 'team/a/b')).toBe(false);
    expect(repositoryMatches('team/*', 'teams/app')).toBe(false);
    expect(repositoryMatches('team/*', 'team')).toBe(false);
    expect(repositoryMatches('team/**', 'team/a/b')).toBe(true);
    expect(repositoryMatches('**/cache', 'x/y/cache')).toBe(true);
    expect(repositoryMatches('**', 'anything/at/all')).toBe(true);
    expect(repositoryMatches('web/app', 'web/app')).toBe(true);
    expect(repositoryMatches('web/app', 'web/app2')).toBe(false);
    expect(repositoryMatches('web-*/app', 'web-a/app')).toBe(true);
  });
});

describe('planRetention', () => {
  const rules: RetentionRule[] = [{ repository: 'team/*', keep: { last: 2 } }];

  it('leaves a repository no rule names alone', () => {
    expect(planRetention('other/app', [tag('v1', 'a', 100)], rules, NOW)).toBeUndefined();
  });

  it('keeps the last N by creation date and prunes the rest, deleting their digests', () => {
    const tags = [tag('v1', 'a', 30), tag('v2', 'b', 20), tag('v3', 'c', 10), tag('v4', 'd', 1)];
    const r = planRetention('team/app', tags, rules, NOW);
    expect(kept(r)).toEqual(['v3', 'v4']);
    expect(pruned(r)).toEqual(['v1', 'v2']);
    expect(r?.deleteDigests.sort()).toEqual([digest('a'), digest('b')]);
  });

  it('keeps every tag of an immutable repository, deleting nothing (the gate would refuse it)', () => {
    const tags = [tag('v1', 'a', 30), tag('v2', 'b', 20), tag('v3', 'c', 10), tag('v4', 'd', 1)];
    const r = planRetention('team/app', tags, rules, NOW)!;
    keepImmutable(r, undefined);
    expect(pruned(r)).toEqual(['v1', 'v2']);
    keepImmutable(r, 'team/*');
    expect(pruned(r)).toEqual([]);
    expect(r.deleteDigests).toEqual([]);
    expect(r.tags[0]!.reason).toBe("immutable (registry.immutable 'team/*')");
  });

  it('keeps a tag when ANY clause of ANY matching rule keeps it', () => {
    const many: RetentionRule[] = [
      { repository: 'team/*', keep: [{ last: 1, matching: 'v*' }, { newerThan: '7d' }] },
      { repository: 'team/app', keep: { matching: 'release-*' } },
    ];
    const tags = [
      tag('v1', 'a', 40),
      tag('v2', 'b', 30),
      tag('nightly-1', 'c', 3),
      tag('nightly-0', 'd', 20),
      tag('release-1', 'e', 400),
    ];
    const r = planRetention('team/app', tags, many, NOW);
    expect(kept(r)).toEqual(['nightly-1', 'release-1', 'v2']);
    expect(pruned(r)).toEqual(['nightly-0', 'v1']);
    expect(r?.rules).toEqual([0, 1]);
  });

  it('a clause with last and newerThan keeps what either keeps, among the tags it matches only', () => {
    const r = planRetention(
      'team/app',
      [tag('v1', 'a', 40), tag('v2', 'b', 35), tag('v3', 'c', 5), tag('x', 'd', 1)],
      [{ repository: 'team/*', keep: { last: 1, newerThan: '36d', matching: 'v*' } }],
      NOW,
    );
    // v3 is the last one; v2 is within 36 days; x matches no clause, however new.
    expect(kept(r)).toEqual(['v2', 'v3']);
    expect(pruned(r)).toEqual(['v1', 'x']);
  });

  it('never deletes a digest a kept tag points at: the pruned tag on it stays, and says why', () => {
    const tags = [tag('old', 'a', 90), tag('latest', 'a', 90), tag('v2', 'b', 1)];
    const r = planRetention(
      'team/app',
      tags,
      [{ repository: 'team/*', keep: [{ last: 1 }, { matching: 'latest' }] }],
      NOW,
    );
    expect(r?.deleteDigests).toEqual([]);
    expect(r?.tags.find((t) => t.tag === 'old')).toMatchObject({
      keep: true,
      reason: 'shares its digest with kept latest',
    });
  });

  it('deletes a digest once, however many pruned tags are on it', () => {
    const r = planRetention(
      'team/app',
      [tag('a1', 'a', 90), tag('a2', 'a', 90), tag('b', 'b', 1)],
      rules.map((x) => ({ ...x, keep: { last: 1 } })),
      NOW,
    );
    expect(r?.deleteDigests).toEqual([digest('a')]);
    expect(pruned(r)).toEqual(['a1', 'a2']);
  });

  it('keeps a signed tag unless every matching rule says pruneSigned, and keeps its signature tag', () => {
    const sig = { tag: `sha256-${'a'.repeat(64)}.sig`, digest: digest('s') };
    const tags = [tag('v1', 'a', 90, 'ci-key'), tag('v2', 'b', 80), tag('v3', 'c', 1), sig];
    const keepLast = { repository: 'team/*', keep: { last: 1 } };
    const r = planRetention('team/app', tags, [keepLast], NOW);
    expect(r?.tags.find((t) => t.tag === 'v1')).toMatchObject({ keep: true, reason: 'signed by ci-key' });
    expect(r?.deleteDigests).toEqual([digest('b')]);
    // The signature tag is not judged on its own.
    expect(r?.tags.map((t) => t.tag)).not.toContain(sig.tag);

    const half = planRetention(
      'team/app',
      tags,
      [
        { ...keepLast, pruneSigned: true },
        { repository: '**', keep: { last: 5 } },
      ],
      NOW,
    );
    expect(half?.tags.find((t) => t.tag === 'v1')?.keep).toBe(true);

    const all = planRetention('team/app', tags, [{ ...keepLast, pruneSigned: true }], NOW);
    expect(pruned(all)).toEqual([sig.tag, 'v1', 'v2']);
    // The pruned image's signature goes with it.
    expect(all?.deleteDigests.sort()).toEqual([digest('a'), digest('b'), digest('s')]);
  });

  it('keeps a tag whose creation date is unknown, and does not count it in last N', () => {
    const r = planRetention(
      'team/app',
      [tag('index', 'a', undefined), tag('v1', 'b', 50), tag('v2', 'c', 40)],
      [{ repository: 'team/*', keep: { last: 1 } }],
      NOW,
    );
    expect(kept(r)).toEqual(['index', 'v2']);
    expect(r?.tags.find((t) => t.tag === 'index')?.reason).toBe('creation date unknown');
  });

  it('breaks equal dates by tag name, whatever order the registry lists them in', () => {
    const a = [tag('b', 'b', 10), tag('a', 'a', 10), tag('c', 'c', 10)];
    const once = kept(planRetention('team/app', a, rules, NOW));
    const again = kept(planRetention('team/app', [...a].reverse(), rules, NOW));
    expect(once).toEqual(['b', 'c']);
    expect(again).toEqual(once);
  });

  it('last: 0 with no other clause prunes every unsigned tag', () => {
    const r = planRetention(
      'team/app',
      [tag('v1', 'a', 1)],
      [{ repository: 'team/*', keep: { last: 0 } }],
      NOW,
    );
    expect(pruned(r)).toEqual(['v1']);
  });
});
