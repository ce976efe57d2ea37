/**
 * The e2e tests' own helpers (test/e2e/helpers/faults.ts, recreate.ts: test code, not in the package) for
 * the sandbox benchmarks that break or replace hosts. Node 22 strips their types; their imports of src/lib
 * are sent to the build in dist/lib (`npm run bench` builds first), so they run on the very modules the
 * benchmark imports from dist, as bench/identity.mjs runs test/helpers/slapd.ts.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const src = new URL('src/lib/', root).href;

registerHooks({
  resolve(specifier, context, next) {
    // test/e2e/helpers/*.ts import ../../../src/lib/X.js: the compiled module is dist/lib/X.js.
    if (specifier.startsWith('.') && context.parentURL?.endsWith('.ts')) {
      const target = new URL(specifier, context.parentURL).href;
      if (target.startsWith(src) && !existsSync(fileURLToPath(target)))
        return next(new URL(`dist/lib/${target.slice(src.length)}`, root).href, context);
    }
    return next(specifier, context);
  },
});

/** Imports one of test/e2e/helpers by its file name (`faults.ts`). */
export const e2eHelper = (file) => import(new URL(`test/e2e/helpers/${file}`, root).href);
