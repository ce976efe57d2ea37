import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkClusterText } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';

const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));
// Listed, not named: a new example that does not validate fails here.
const examples = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe('examples/', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples)('%s is valid and points editors at the schema', (name) => {
    const text = readFileSync(`${dir}${name}`, 'utf8');
    const check = checkClusterText(text, { file: `examples/${name}`, env: {}, baseDir: dir });
    expect(check.errors.map(formatProblem)).toEqual([]);
    // The files an example uploads are here too, regular files (sources resolved against examples/).
    const config = check.config!;
    for (const f of [...config.spec.files, ...config.spec.hosts.flatMap((h) => h.files ?? [])])
      expect(statSync(f.source).isFile(), f.source).toBe(true);
    const ref = /^# yaml-language-server: \$schema=(\S+cluster\.schema\.json)$/.exec(
      text.split('\n')[0]!,
    )?.[1];
    // A path to the clone's schema, relative to the example as editors resolve it: it works offline.
    expect(ref).toBe('../schema/cluster.schema.json');
    expect(existsSync(join(dir, ref!))).toBe(true);
  });
});
