import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/lib/access/policy.js';
import { CORPUS, CORPUS_POLICY, corpusLookup, type CorpusRequest } from '../../helpers/access-corpus.js';

/** A corpus request as `decide` takes it (the engine's body bytes, or none). */
const ask = (r: CorpusRequest) =>
  decide(
    CORPUS_POLICY,
    {
      method: r.method,
      uri: r.uri,
      body:
        r.body === undefined || r.body === null
          ? undefined
          : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)),
      identity: { kind: 'certificate', user: r.user, issuedAt: new Date() },
    },
    corpusLookup,
  );

describe('the hostile-request corpus: each request refused with its reason, each allowed twin allowed', () => {
  it('holds at least 60 hostile requests in every class', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CORPUS.map((c) => c.class))).toEqual(
      new Set([
        'routing',
        'decoding',
        'defaults',
        'allow-list',
        'effects',
        'free passes',
        'placement',
        'fail closed',
      ]),
    );
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it('is listed in docs/security.md, case by case', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/security.md'), 'utf8');
    expect(CORPUS.filter((c) => !doc.includes(`- ${c.name}\n`)).map((c) => c.name)).toEqual([]);
  });

  it.each(CORPUS)('$class: $name', async (c) => {
    const refused = await ask(c.hostile);
    expect(refused.allow, `hostile request allowed: ${refused.reason}`).toBe(false);
    expect(refused.reason).toMatch(c.hostile.reason);
    const twin = await ask(c.twin);
    expect(twin.allow, `allowed twin refused: ${twin.reason}`).toBe(true);
  });
});
