import { readFileSync } from 'node:fs';
import type { AnyAuthMethod, AuthHandlerMiddleware, ParsedKey } from 'ssh2';
import ssh2 from 'ssh2';
import { addSecret } from '../util/redact.js';
import type { SshEndpoint } from './endpoint.js';

/** Asks the person at the terminal a question (a passphrase); absent when nobody is there. */
export type Prompt = (question: string) => Promise<string>;

/** What auth needs to know about one hop: whom to log in as, where secrets come from, who can be asked. */
export interface AuthContext {
  endpoint: SshEndpoint;
  /** Where secrets named by `*Env` settings and SSH_AUTH_SOCK are read from. */
  env: NodeJS.ProcessEnv;
  prompt?: Prompt;
  /** Called around a prompt, so a connect timeout does not run while a person types. */
  onPrompt?: (waiting: boolean) => void;
}

/** An ssh2 auth handler and what it tried, for the message when every method fails. */
export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** One line per method offered or skipped, e.g. `key ~/.ssh/id_ed25519 (encrypted, no passphrase)`. */
  tried: string[];
}

type Candidate = () => Promise<AnyAuthMethod | undefined>;

/**
 * Builds the methods to try, in order: named key files, the agent, default key files, then a password
 * from the environment. Key files are read (and passphrases asked) only when their turn comes, so a
 * working agent means no prompt.
 */
export function planAuth(context: AuthContext): AuthPlan {
  const { endpoint, env } = context;
  const tried: string[] = [];
  const username = endpoint.user;
  const keys: Candidate[] = endpoint.keyPaths.map(
    (path) => () =>
      Promise.resolve(loadKey(path, context, tried)).then(
        (k) => k && { type: 'publickey', username, key: k },
      ),
  );
  const agent: Candidate = async () => {
    const socket = env.SSH_AUTH_SOCK;
    if (!socket) return undefined;
    tried.push(`ssh-agent at ${socket}`);
    return { type: 'agent', username, agent: socket };
  };
  const password: Candidate = async () => {
    if (!endpoint.passwordEnv) return undefined;
    const value = env[endpoint.passwordEnv];
    if (!value) {
      tried.push(`password: $${endpoint.passwordEnv} is empty or not set`);
      return undefined;
    }
    addSecret(value);
    tried.push(`password from $${endpoint.passwordEnv}`);
    return { type: 'password', username, password: value };
  };
  const candidates = endpoint.keysNamed ? [...keys, agent, password] : [agent, ...keys, password];

  let next = 0;
  const handler: AuthHandlerMiddleware = (_methodsLeft, _partial, callback) => {
    void (async () => {
      while (next < candidates.length) {
        const candidate = candidates[next++];
        const method = candidate ? await candidate().catch(() => undefined) : undefined;
        if (method) return method;
      }
      return false as const;
    })().then(callback as (method: AnyAuthMethod | false) => void);
  };
  return { handler, tried };
}

function loadKey(
  path: string,
  context: AuthContext,
  tried: string[],
): Promise<ParsedKey | undefined> | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    // Missing default keys are normal; a named key that is missing is worth saying.
    if (context.endpoint.keysNamed) tried.push(`key ${path} (cannot read: ${(error as Error).message})`);
    return undefined;
  }
  const plain = parsePrivateKey(data);
  if (!(plain instanceof Error)) {
    tried.push(`key ${path}`);
    return Promise.resolve(plain);
  }
  if (!/encrypted/i.test(plain.message)) {
    tried.push(`key ${path} (not a usable private key: ${plain.message})`);
    return undefined;
  }
  return decryptKey(path, data, context, tried);
}

async function decryptKey(
  path: string,
  data: Buffer,
  context: AuthContext,
  tried: string[],
): Promise<ParsedKey | undefined> {
  const envName = context.endpoint.keyPassphraseEnv;
  const fromEnv = envName ? context.env[envName] : undefined;
  let passphrase: string;
  let source: string;
  if (fromEnv) {
    passphrase = fromEnv;
    source = `passphrase from $${envName}`;
  } else if (context.prompt) {
    context.onPrompt?.(true);
    try {
      passphrase = await context.prompt(`Passphrase for ${path}: `);
    } finally {
      context.onPrompt?.(false);
    }
    source = 'passphrase from the terminal';
  } else {
    const hint = envName ? `$${envName} is not set` : 'set ssh.keyPassphraseEnv or run on a terminal';
    tried.push(`key ${path} (encrypted, no passphrase: ${hint})`);
    return undefined;
  }
  addSecret(passphrase);
  const key = parsePrivateKey(data, passphrase);
  if (key instanceof Error) {
    tried.push(`key ${path} (${source} does not decrypt it)`);
    return undefined;
  }
  tried.push(`key ${path} (${source})`);
  return key;
}

/** ssh2 returns an array for the OpenSSH format (one key per file in practice) and accepts public keys. */
function parsePrivateKey(data: Buffer, passphrase?: string): ParsedKey | Error {
  const parsed: ParsedKey | ParsedKey[] | Error = ssh2.utils.parseKey(data, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined) return new Error('no key in file');
  if (key instanceof Error) return key;
  return key.isPrivateKey() ? key : new Error('this is a public key');
}
