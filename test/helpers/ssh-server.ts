import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AuthContext, type ParsedKey, type ServerChannel } from 'ssh2';

/**
 * Real SSH servers for tests (the protocol is exercised, not mocked): an in-process
 * `ssh2.Server` on 127.0.0.1 that runs exec requests with `/bin/sh -c` as a real local user, serves SFTP
 * with OpenSSH's own sftp-server, and forwards `direct-tcpip` to loopback ports (a bastion). Needs root
 * (commands run under other uids), and the Debian packages openssh-sftp-server, openssh-client (ssh-agent,
 * ssh-add) and sudo.
 */

export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** An OpenSSH-format key pair; `public` is an authorized_keys line. */
export interface KeyPair {
  private: string;
  public: string;
}

/** A fresh ed25519 key pair, encrypted with `passphrase` when given. */
export function generateKeyPair(passphrase?: string): KeyPair {
  // ssh2 1.17 writes a public key whose first byte is 0 with a 31-byte length (about 1 in 128 keys),
  // which it then cannot parse itself: draw again until both halves parse and agree.
  for (;;) {
    const pair = passphrase
      ? ssh2.utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 16 })
      : ssh2.utils.generateKeyPairSync('ed25519');
    const publicKey = ssh2.utils.parseKey(pair.public);
    const privateKey = ssh2.utils.parseKey(pair.private, passphrase) as ParsedKey | ParsedKey[] | Error;
    const first = Array.isArray(privateKey) ? privateKey[0] : privateKey;
    if (publicKey instanceof Error || !first || first instanceof Error) continue;
    if (first.getPublicSSH().equals(publicKey.getPublicSSH()))
      return { private: pair.private, public: pair.public };
  }
}

/** A local account commands run as. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Looks a user up in /etc/passwd. */
export function lookupUser(name: string): RunAs | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && home !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid), home };
    }
  }
  return undefined;
}

/** Who may log in and how; everything has a default. */
export interface TestSshServerOptions {
  /** The server's private host key(s); a fresh ed25519 key by default. */
  hostKey?: string | string[];
  /** authorized_keys lines accepted for every user. */
  authorizedKeys?: string[];
  /** A password accepted for every user. */
  password?: string;
  /** Which login names exist and whom their commands run as; default: the accounts in /etc/passwd. */
  users?: (login: string) => RunAs | undefined;
  /** Forward `direct-tcpip` channels (to loopback only), as a bastion does. Default true. */
  allowForwarding?: boolean;
  /** What the host runs instead of an exec request (recorded as sent): a slow host, paths kept private to a test. */
  rewriteExec?: (command: string) => string;
}

/** What the server saw, for assertions. */
export interface ServerRecord {
  auth: { user: string; method: string; accepted: boolean }[];
  execs: { user: string; command: string }[];
  /** Names of `env` requests (always refused, as sshd's default AcceptEnv refuses most). */
  envRequests: string[];
  signals: string[];
  forwards: { host: string; port: number }[];
  /** The most exec/sftp channels that were open at the same time. */
  maxConcurrentChannels: number;
}

/** A running test SSH server; `close()` it in afterAll. */
export class TestSshServer {
  readonly host = '127.0.0.1';
  readonly record: ServerRecord = {
    auth: [],
    execs: [],
    envRequests: [],
    signals: [],
    forwards: [],
    maxConcurrentChannels: 0,
  };
  private openChannels = 0;
  /** The (first) host key's public half, as `type base64` (`ssh-ed25519 AAAA…`). */
  readonly hostPublicKey: string;
  /** Every host key's public half, in the order given. */
  readonly hostPublicKeys: string[];
  private readonly sockets = new Set<net.Socket>();
  private readonly children = new Set<ChildProcess>();
  /** Which connection started a process: a dropped connection takes its processes with it. */
  private readonly owner = new WeakMap<ChildProcess, ssh2.Connection>();
  private readonly listener: net.Server;
  port = 0;

  private constructor(private readonly options: TestSshServerOptions) {
    if (!existsSync(SFTP_SERVER))
      throw new Error(`${SFTP_SERVER} is missing: apt-get install openssh-sftp-server`);
    const hostKeys = [options.hostKey ?? generateKeyPair().private].flat();
    this.hostPublicKeys = hostKeys
      .map(parseOne)
      .map((k) => `${k.type} ${k.getPublicSSH().toString('base64')}`);
    this.hostPublicKey = this.hostPublicKeys[0] as string;
    const authorized = (options.authorizedKeys ?? []).map(parseOne);
    const server = new ssh2.Server({ hostKeys }, (client) => {
      let runAs: RunAs | undefined;
      client.on('authentication', (ctx) => {
        runAs = options.users ? options.users(ctx.username) : lookupUser(ctx.username);
        const accepted = runAs !== undefined && this.authenticate(ctx, authorized);
        // A publickey request without a signature only asks whether the key would do: not a login.
        const probe = ctx.method === 'none' || (ctx.method === 'publickey' && !ctx.signature);
        if (!probe) this.record.auth.push({ user: ctx.username, method: ctx.method, accepted });
        if (accepted) ctx.accept();
        else ctx.reject(['publickey', 'password']);
      });
      client.on('ready', () => {
        client.on('session', (accept) => this.serveSession(accept(), runAs as RunAs, client));
        client.on('tcpip', (accept, reject, info) =>
          this.forward(accept, reject, info.destIP, info.destPort),
        );
      });
      client.on('error', () => undefined);
      client.on('close', () => {
        for (const child of this.children) if (this.owner.get(child) === client) killGroup(child, 'SIGKILL');
      });
    });
    // Our own listener hands sockets to ssh2, so a test can cut them (a dropped connection).
    this.listener = net.createServer((socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      server.injectSocket(socket);
    });
  }

  /** Starts a server on a random loopback port. */
  static async start(options: TestSshServerOptions = {}): Promise<TestSshServer> {
    const server = new TestSshServer(options);
    await new Promise<void>((resolve) => server.listener.listen(0, '127.0.0.1', resolve));
    server.port = (server.listener.address() as net.AddressInfo).port;
    return server;
  }

  /** The known_hosts line for this server as eectl records it (`[127.0.0.1]:PORT type key`). */
  knownHostsLine(keyIndex = 0): string {
    return `[${this.host}]:${this.port} ${this.hostPublicKeys[keyIndex]}`;
  }

  /** Cuts every client connection at the TCP level, as a network failure or a host reboot would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops reading from every client connection, as a hung host or a silent network would: nothing is answered. */
  freezeConnections(): void {
    for (const socket of this.sockets) socket.pause();
  }

  async close(): Promise<void> {
    this.dropConnections();
    for (const child of this.children) killGroup(child, 'SIGKILL');
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private authenticate(ctx: AuthContext, authorized: ParsedKey[]): boolean {
    if (ctx.method === 'password')
      return this.options.password !== undefined && ctx.password === this.options.password;
    if (ctx.method !== 'publickey') return false;
    const key = authorized.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
    if (!key) return false;
    // Without a signature the client only asks whether the key would do.
    if (!ctx.signature || !ctx.blob) return true;
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
  }

  private serveSession(session: ssh2.Session, runAs: RunAs, client: ssh2.Connection): void {
    let child: ChildProcess | undefined;
    session.on('env', (_accept, reject, info) => {
      this.record.envRequests.push(info.key);
      reject?.();
    });
    // ssh2's server refuses every request on a session once the client sent EOF on stdin; OpenSSH's sshd
    // still takes `signal` then, and clients always send EOF first, so undo that flag for the exec's life.
    session.on('eof', () => {
      (session as unknown as { _ending: boolean })._ending = false;
    });
    session.on('signal', (accept, _reject, info) => {
      this.record.signals.push(info.name);
      if (child) killGroup(child, `SIG${info.name}` as NodeJS.Signals);
      accept?.();
    });
    session.on('exec', (accept, _reject, info) => {
      this.record.execs.push({ user: runAs.name, command: info.command });
      const channel = accept();
      const command = this.options.rewriteExec ? this.options.rewriteExec(info.command) : info.command;
      child = this.spawnAs(runAs, '/bin/sh', ['-c', command]);
      this.owner.set(child, client);
      this.attach(channel, child, true);
    });
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== 'sftp') return reject();
      const channel = accept();
      child = this.spawnAs(runAs, SFTP_SERVER, []);
      this.owner.set(child, client);
      this.attach(channel, child, false);
    });
  }

  private spawnAs(runAs: RunAs, file: string, args: string[]): ChildProcess {
    const env = {
      HOME: runAs.home,
      USER: runAs.name,
      LOGNAME: runAs.name,
      SHELL: '/bin/sh',
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    };
    const ids = runAs.uid === 0 ? {} : { uid: runAs.uid, gid: runAs.gid };
    const cwd = existsSync(runAs.home) ? runAs.home : '/';
    // detached: its own process group, so a signal or a dropped channel reaches the whole command.
    const child = spawn(file, args, { ...ids, env, cwd, detached: true, stdio: 'pipe' });
    this.children.add(child);
    child.on('close', () => this.children.delete(child));
    return child;
  }

  private attach(channel: ServerChannel, child: ChildProcess, reportExit: boolean): void {
    const { stdin, stdout, stderr } = child as ChildProcess & {
      stdin: NodeJS.WritableStream & { on(e: 'error', l: () => void): void };
      stdout: NodeJS.ReadableStream;
      stderr: NodeJS.ReadableStream;
    };
    this.openChannels++;
    this.record.maxConcurrentChannels = Math.max(this.record.maxConcurrentChannels, this.openChannels);
    let open = true;
    const release = (): void => {
      if (open) this.openChannels--;
      open = false;
    };
    stdin.on('error', () => undefined);
    channel.pipe(stdin);
    stdout.pipe(channel, { end: false });
    stderr.pipe(channel.stderr, { end: false });
    child.on('error', (error) => {
      channel.stderr.write(`${error.message}\n`);
      channel.exit(127);
      channel.end();
    });
    child.on('close', (code, signal) => {
      release();
      if (reportExit) {
        if (code !== null) channel.exit(code);
        else channel.exit((signal ?? 'KILL').replace(/^SIG/, ''), false, '');
      }
      channel.end();
    });
    // Like a dead session's processes losing their terminal: nothing of a closed channel keeps running.
    channel.on('close', () => {
      release();
      killGroup(child, 'SIGKILL');
    });
  }

  private forward(accept: () => ServerChannel, reject: () => void, host: string, port: number): void {
    this.record.forwards.push({ host, port });
    if (this.options.allowForwarding === false || !/^127\.|^localhost$|^::1$/.test(host)) return reject();
    const socket = net.connect(port, host);
    socket.once('error', () => reject());
    socket.once('connect', () => {
      const channel = accept();
      socket.removeAllListeners('error');
      socket.on('error', () => channel.destroy());
      channel.on('error', () => socket.destroy());
      channel.pipe(socket).pipe(channel);
    });
  }
}

function parseOne(text: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text) as ParsedKey | ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error(`test ssh server: bad key: ${String(key)}`);
  return key;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** A throwaway local account (and its sudoers.d entry); `remove()` deletes both. */
export interface TestUser extends RunAs {
  remove(): void;
}

/** Creates a real unprivileged user, with passwordless sudo when `sudo` is true. Needs root. */
export function createTestUser(options: { sudo: boolean }): TestUser {
  const name = `eectl-t${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'pipe' });
  const sudoers = join('/etc/sudoers.d', name);
  if (options.sudo) writeFileSync(sudoers, `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  const user = lookupUser(name);
  if (!user) throw new Error(`useradd ${name} made no passwd entry`);
  return {
    ...user,
    remove: () => {
      rmSync(sudoers, { force: true });
      execFileSync('userdel', ['--force', '--remove', name], { stdio: 'pipe' });
    },
  };
}

/** A real ssh-agent on a private socket, holding the given keys; `stop()` ends it. */
export interface TestAgent {
  socket: string;
  stop(): void;
}

/** Starts `ssh-agent -D` (foreground, so we own its pid) and loads the keys with ssh-add. */
export async function startSshAgent(privateKeys: string[]): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'eectl-agent-'));
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const stop = (): void => {
    agent.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(socket)) {
    stop();
    throw new Error('ssh-agent did not create its socket (apt-get install openssh-client)');
  }
  for (const [index, key] of privateKeys.entries()) {
    const file = join(dir, `key${index}`);
    writeFileSync(file, key, { mode: 0o600 });
    // The socket file appears just before the agent listens on it: retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync('ssh-add', [file], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
        break;
      } catch (error) {
        if (attempt >= 50) {
          stop();
          throw error;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  return { socket, stop };
}
