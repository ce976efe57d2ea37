// Which Node eectl runs on, checked by bin/run.js before anything else is loaded. Plain JavaScript that
// every Node since 14 parses, so an older one gets as far as the message.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The lowest Node major eectl supports: package.json's `engines.node` (">=22"). */
export function requiredNodeMajor() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const match = /^>=\s*(\d+)/.exec(String((pkg.engines && pkg.engines.node) || ''));
  if (!match) throw new Error(`package.json: engines.node ${pkg.engines && pkg.engines.node} is not ">=N"`);
  return Number(match[1]);
}

/**
 * Undefined when `version` (process.version) is supported; otherwise what to print and where (exit 2):
 * the error on stderr and, under --json, the error envelope on stdout. `execPath` is the running Node;
 * `projectNode` the Node 22 that `npm ci` installs in a clone (node_modules/.bin/node), when there is one.
 */
export function nodeVersionProblem(
  version,
  execPath,
  argv,
  projectNode = `${root}node_modules/.bin/node`,
  required = requiredNodeMajor(),
) {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= required) return undefined;
  const message = `eectl needs Node.js ${required} or later; this is Node.js ${version.replace(/^v/, '')} (${execPath})`;
  const suggestions = [];
  if (existsSync(projectNode)) {
    suggestions.push(
      `Run it with the Node.js ${required} this clone installed (npm ci): ${[projectNode, `${root}bin/run.js`, ...argv].map(shellQuote).join(' ')}`,
    );
  }
  suggestions.push(
    `Install Node.js ${required} or later (https://nodejs.org/en/download, or \`nvm install ${required}\`), then run eectl again.`,
  );
  const json = argv.includes('--json');
  const stderr = json
    ? ''
    : `Error [ENODE_VERSION] ${message}\nTry this:\n${suggestions.map((s) => `  - ${s}\n`).join('')}`;
  const stdout = json
    ? `${JSON.stringify({ status: 2, error: { code: 'ENODE_VERSION', message, suggestions } }, null, 2)}\n`
    : undefined;
  return { stderr, stdout };
}

/** A word for a shell, quoted only when it needs it. */
function shellQuote(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
