// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Import patterns (relative paths, gitignore style) of each layer, for the layer rules below. */
const COMMANDS = [
  { group: ['**/commands/**'], message: 'commands are the top layer: nothing in src/lib imports them.' },
  {
    group: ['**/cli/**', '**/base-command.js'],
    message: 'oclif command helpers belong to the commands layer.',
  },
];
const ACTIONS = {
  group: ['**/actions/**'],
  message: 'actions compose phases: phases and the domain below them never import an action.',
};
const PHASES = [
  {
    group: ['**/phases/**'],
    message:
      'the phase layer sits above the domain (host, swarm, pki, registry, cluster, ssh, config, ui, util).',
  },
];

const UI = {
  group: ['**/ui/**'],
  message:
    'ui/ renders domain types and sits above the domain: a domain module returns data (run log, redaction, tables and prompts are in util/).',
};

/** One no-restricted-imports block per layer: a module may import its own layer and those below it. */
function layerRules(layers) {
  return layers.map(({ files, ignores, above }) => ({
    files,
    ...(ignores && { ignores }),
    rules: { 'no-restricted-imports': ['error', { patterns: above }] },
  }));
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['bin/**/*.js', 'bench/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', performance: 'readonly', URL: 'readonly' },
    },
  },
  {
    // The dashboard's page: plain browser JavaScript, shipped as it is.
    files: ['static/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        Node: 'readonly',
        CSS: 'readonly',
        EventSource: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  // One-way layers: commands -> actions -> phases (runner, rolling, converge, the phases) -> ui -> domain
  // (host, swarm, pki, registry, cluster, ssh, config, util ...). A module never imports a layer above its own (docs/architecture.md); between the
  // folders of src/lib, scripts/folder-cycles.mjs (in npm run lint) allows no cycle.
  ...layerRules([
    {
      name: 'actions',
      files: ['src/lib/actions/**/*.ts'],
      above: COMMANDS,
    },
    {
      name: 'phases',
      // The phase layer is one folder; the order inside it (runner < rolling < converge < the phase files) is
      // scripts/folder-cycles.mjs's NESTED.
      files: ['src/lib/phases/**/*.ts'],
      above: [...COMMANDS, ACTIONS],
    },
    {
      name: 'domain',
      files: ['src/lib/**/*.ts'],
      ignores: ['src/lib/actions/**', 'src/lib/phases/**', 'src/lib/cli/**', 'src/lib/base-command.ts'],
      above: [...COMMANDS, ACTIONS, ...PHASES, UI],
    },
  ]),
  prettier,
);
