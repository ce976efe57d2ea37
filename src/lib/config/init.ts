import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { CLUSTER_SCHEMA_REF, clusterJsonSchemaText } from './json-schema.js';
import { unreadable } from './files.js';
import { checkClusterText } from './load.js';
import { resolveFilePath } from './paths.js';
import { ConfigError, formatProblem } from './problems.js';
import { clusterNameSchema, engineSchema, type EngineSource } from './schema.js';
import { renderClusterFile, type InitAnswers } from './template.js';

export type { InitAnswers } from './template.js';

/** The answers given as flags; what is missing is asked for on a terminal, or reported without one. */
export interface GivenAnswers {
  name?: string;
  managers: string[];
  workers: string[];
  registries: string[];
  sshUser?: string;
  sshKey?: string;
  engineSource?: EngineSource;
  engineVersion?: string;
  repoUrl?: string;
  registryPath?: string;
}

/** The two kinds of question init asks; the command passes @inquirer/prompts, tests pass scripted answers. */
export interface Prompter {
  input(question: {
    message: string;
    default?: string;
    validate?: (value: string) => true | string;
  }): Promise<string>;
  select<T extends string>(question: {
    message: string;
    choices: { value: T; name: string }[];
    default?: T;
  }): Promise<T>;
}

/** The flag each answer comes from, for messages about missing or wrong ones. */
const FLAG = {
  name: '--name',
  managers: '--manager',
  repoUrl: '--repo-url',
  registryPath: '--registry-path',
} as const;

/** Answers from flags alone (no terminal): throws a UsageError naming every missing flag and every bad value. */
export function answersFromFlags(given: GivenAnswers): InitAnswers {
  const engineSource = given.engineSource ?? 'docker';
  const missing = [
    !given.name && FLAG.name,
    given.managers.length === 0 && FLAG.managers,
    engineSource === 'mirror' && !given.repoUrl && FLAG.repoUrl,
    given.registries.length > 1 && !given.registryPath && FLAG.registryPath,
  ].filter((flag) => flag !== false);
  if (missing.length > 0) {
    throw new UsageError(
      `missing ${missing.join(', ')}: without a terminal, init takes its answers from flags`,
      {
        suggestions: [
          'eectl init --name prod --manager 10.0.0.11 --worker 10.0.0.21 --ssh-user ops --ssh-key ~/.ssh/id_ed25519',
          'Run it on a terminal to be asked instead.',
        ],
      },
    );
  }
  const answers: InitAnswers = {
    name: (given.name as string).trim(),
    managers: given.managers.map((a) => a.trim()),
    workers: given.workers.map((a) => a.trim()),
    registries: given.registries.map((a) => a.trim()),
    engineSource,
    ...optional({
      sshUser: given.sshUser,
      sshKey: given.sshKey,
      engineVersion: given.engineVersion,
      repoUrl: given.repoUrl,
      registryPath: given.registryPath,
    }),
  };
  assertValidAnswers(answers);
  return answers;
}

/** Asks on the terminal for whatever the flags did not give. */
export async function askForAnswers(
  given: GivenAnswers,
  ask: Prompter,
  home = homedir(),
): Promise<InitAnswers> {
  const name =
    given.name ??
    (await ask.input({
      message: 'Cluster name',
      default: 'prod',
      validate: (v) => nameProblem(v.trim()) ?? true,
    }));
  const seen: string[] = [];
  const addresses = async (list: string[], message: string, required: boolean) => {
    if (list.length > 0) return remember(seen, list);
    const answer = await ask.input({
      message,
      validate: (v) => addressListProblem(splitAddresses(v), seen, required) ?? true,
    });
    return remember(seen, splitAddresses(answer));
  };
  const managers = await addresses(
    given.managers,
    'Manager addresses, separated by spaces (1, 3 or 5 of them)',
    true,
  );
  const workers = await addresses(given.workers, 'Worker addresses (empty for none)', false);
  const registries = await addresses(given.registries, 'Registry host addresses (empty for none)', false);
  const registryPath =
    registries.length > 1
      ? (given.registryPath ??
        (await ask.input({
          message: 'Registry storage path, shared by every registry host (NFS or similar)',
          default: '/mnt/eectl-registry',
        })))
      : given.registryPath;
  const sshUser = given.sshUser ?? (await ask.input({ message: 'SSH user', default: 'root' }));
  const sshKey =
    given.sshKey ??
    (await ask.input({
      message: 'SSH private key (empty: use ssh-agent)',
      default: defaultSshKey(home) ?? '',
    }));
  const engineSource =
    given.engineSource ??
    (await ask.select<EngineSource>({
      message: 'Where Docker Engine comes from',
      choices: [
        { value: 'docker', name: "docker: Docker's package repositories (docker-ce)" },
        { value: 'distro', name: "distro: the distribution's own package (docker.io)" },
        { value: 'mirror', name: 'mirror: a package mirror (air-gapped sites)' },
      ],
    }));
  const repoUrl =
    engineSource === 'mirror'
      ? (given.repoUrl ??
        (await ask.input({ message: 'Mirror URL', validate: (v) => urlProblem(v.trim()) ?? true })))
      : given.repoUrl;
  const answers: InitAnswers = {
    name: name.trim(),
    managers,
    workers,
    registries,
    engineSource,
    ...optional({ sshUser, sshKey, engineVersion: given.engineVersion, repoUrl, registryPath }),
  };
  assertValidAnswers(answers);
  return answers;
}

/**
 * A warning when the SSH key the new file names cannot be read, resolved as `config validate` will resolve
 * it (relative to the file, `~` the home directory), so the user hears it at `init` and not one command
 * later. The file is still written: the key may be copied there afterwards.
 */
export function sshKeyWarning(
  sshKey: string | undefined,
  clusterFile: string,
  home = homedir(),
): string | undefined {
  if (sshKey === undefined || sshKey === '' || sshKey.startsWith('%')) return undefined;
  const path = resolveFilePath(sshKey, dirname(resolve(clusterFile)), home);
  const reason = unreadable(path);
  if (reason === undefined) return undefined;
  const shown = path === sshKey ? path : `${sshKey} (${path})`;
  return `SSH key ${shown} ${reason}: config validate and install will refuse the file until it is there. Put the key at that path, or change spec.hosts[].ssh.keyPath (or run init again with --ssh-key PATH).`;
}

/** ~/.ssh/id_ed25519 or ~/.ssh/id_rsa when the user has one, written with ~ so the file travels. */
export function defaultSshKey(home = homedir()): string | undefined {
  return ['id_ed25519', 'id_rsa']
    .filter((key) => existsSync(join(home, '.ssh', key)))
    .map((key) => `~/.ssh/${key}`)[0];
}

/** `10.0.0.1, 10.0.0.2 10.0.0.3` → three addresses. */
export function splitAddresses(text: string): string[] {
  return text.split(/[\s,]+/).filter((a) => a !== '');
}

/**
 * Refuses to overwrite unless forced; checked before any question is asked, and again when writing. The
 * schema file beside it may be replaced when it is eectl's own (another version's); a file of another
 * kind at that path is only replaced with --force.
 */
export function assertCanWrite(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw existsError(path);
  const schema = schemaPathFor(path);
  if (!force && existsSync(schema) && !isClusterSchema(schema)) {
    throw new UsageError(
      `${schema} exists and is not eectl's cluster file schema: init writes the schema there (the file's first line points editors at ${CLUSTER_SCHEMA_REF}) and does not overwrite it`,
      {
        code: 'EEXIST',
        suggestions: [
          'Move that file away, or write elsewhere with --out FILE.',
          'Or add --force to replace it.',
        ],
      },
    );
  }
}

/** Where init writes the cluster file's JSON Schema: `schema/cluster.schema.json` beside the file. */
export function schemaPathFor(clusterFile: string): string {
  return join(dirname(resolve(clusterFile)), CLUSTER_SCHEMA_REF);
}

/** Whether a file is an eectl cluster file schema (this version's or another's). */
function isClusterSchema(path: string): boolean {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { title?: unknown };
    return json.title === 'eectl cluster file';
  } catch {
    return false;
  }
}

/**
 * Renders the answers, checks the result as `eectl config validate` would, and writes it (creating its
 * directory), with the JSON Schema beside it (schemaPathFor). Returns the text written.
 */
export async function writeClusterFile(path: string, answers: InitAnswers, force: boolean): Promise<string> {
  const text = renderClusterFile(answers);
  const check = checkClusterText(text, { file: path, baseDir: dirname(resolve(path)) });
  if (check.errors.length > 0) {
    throw new ConfigError(
      `the answers do not make a valid cluster file:\n${check.errors.map(formatProblem).join('\n')}`,
      check,
      ['Correct the flags or answers each problem names, and run init again.'],
    );
  }
  assertCanWrite(path, force);
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text, { flag: force ? 'w' : 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST' ? existsError(path) : error;
  });
  // The schema the file's first line names, so editors check it without a network.
  const schema = schemaPathFor(path);
  const schemaText = clusterJsonSchemaText();
  if (!existsSync(schema) || readFileSync(schema, 'utf8') !== schemaText) {
    await mkdir(dirname(schema), { recursive: true });
    await writeFile(schema, schemaText);
  }
  return text;
}

function existsError(path: string): UsageError {
  return new UsageError(`${path} exists: init does not overwrite it`, {
    code: 'EEXIST',
    suggestions: ['Add --force to replace it.', 'Or write elsewhere with --out FILE.'],
  });
}

function assertValidAnswers(a: InitAnswers): void {
  const seen: string[] = [];
  const problems = [
    nameProblem(a.name) && `${FLAG.name}: ${nameProblem(a.name)}`,
    ...(
      [
        ['--manager', a.managers, true],
        ['--worker', a.workers, false],
        ['--registry', a.registries, false],
      ] as const
    ).map(([flag, list, required]) => {
      const problem = addressListProblem(list, seen, required);
      remember(seen, list);
      return problem && `${flag}: ${problem}`;
    }),
    a.repoUrl !== undefined && urlProblem(a.repoUrl) && `${FLAG.repoUrl}: ${urlProblem(a.repoUrl)}`,
    a.registryPath !== undefined &&
      !a.registryPath.startsWith('/') &&
      `${FLAG.registryPath}: must be an absolute path`,
  ].filter((p): p is string => Boolean(p));
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
}

function nameProblem(name: string): string | undefined {
  return clusterNameSchema.safeParse(name).success
    ? undefined
    : 'must be lower-case letters, digits and dashes';
}

function urlProblem(url: string): string | undefined {
  return engineSchema.shape.repoUrl.safeParse(url).success
    ? undefined
    : 'must be a URL starting with http://, https:// or file://';
}

/** Empty, repeated, or already used for another role: one host has one role. */
function addressListProblem(list: string[], seen: readonly string[], required: boolean): string | undefined {
  if (required && list.length === 0) return 'give at least one address';
  if (list.some((a) => a.trim() === '')) return 'an address is empty';
  const repeated = list.find((a, i) => list.indexOf(a) !== i || seen.includes(a));
  return repeated === undefined ? undefined : `${repeated} is given twice: each host has one role`;
}

function remember(seen: string[], list: string[]): string[] {
  seen.push(...list);
  return list;
}

/** Drops empty answers (an empty SSH key means "use the agent"). */
function optional<T extends Record<string, string | undefined>>(values: T): Partial<T> {
  const given = Object.entries(values).filter(([, v]) => v !== undefined && v.trim() !== '');
  return Object.fromEntries(given.map(([k, v]) => [k, (v as string).trim()])) as Partial<T>;
}
