import { Buffer } from 'node:buffer';
import { clearTimeout, setTimeout } from 'node:timers';
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { runCommand, writeFile } from './commands.mjs';
import { SimHost, SimWorld } from './world.mjs';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** An ed25519 key pair that ssh2 can parse back (its generator gets about 1 in 128 keys wrong). */
export function keyPair() {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const pub = ssh2.utils.parseKey(pair.public);
    const priv = ssh2.utils.parseKey(pair.private);
    if (pub instanceof Error || priv instanceof Error) continue;
    if (priv.getPublicSSH().equals(pub.getPublicSSH())) return { ...pair, parsed: priv };
  }
}

/** 127.77.A.B for host i (1-based): one loopback address per simulated host, so addresses stay unique. */
export const loopbackAddress = (i) => `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`;
/** The private address the swarm sees: never dialled, the simulator answers for it. */
export const privateAddress = (i) => `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/**
 * Many SSH servers in one process, one listener per simulated host on its own loopback address, each
 * answering from the host's state after an injected latency per round trip (exec request, SFTP request,
 * and twice for the handshake). Bounded: `maxSeconds` closes everything.
 */
export async function startSimulator({
  count,
  port = 2222,
  latencyMs = 20,
  jitterMs = 5,
  clientPublicKey,
  knownHostsPath,
  maxSeconds = 1800,
}) {
  const hosts = Array.from(
    { length: count },
    (_, k) =>
      new SimHost({
        index: k + 1,
        sshAddress: loopbackAddress(k + 1),
        sshPort: port,
        privateAddress: privateAddress(k + 1),
      }),
  );
  const world = new SimWorld(hosts);
  const authorized = ssh2.utils.parseKey(clientPublicKey);
  const delay = () =>
    new Promise((r) => setTimeout(r, Math.max(0, latencyMs + (Math.random() * 2 - 1) * jitterMs)));
  const listeners = [];
  const sockets = new Set();
  const knownHosts = [];
  for (const host of hosts) {
    const key = keyPair();
    knownHosts.push(
      `[${host.sshAddress}]:${port} ${key.parsed.type} ${key.parsed.getPublicSSH().toString('base64')}`,
    );
    const server = new ssh2.Server({ hostKeys: [key.private] }, (client) =>
      serveClient(client, host, world, authorized, delay),
    );
    const listener = net.createServer((socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      host.counters.connections++;
      server.injectSocket(socket);
    });
    await new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host.sshAddress, resolve);
    });
    listeners.push(listener);
  }
  mkdirSync(dirname(knownHostsPath), { recursive: true, mode: 0o700 });
  writeFileSync(knownHostsPath, `${knownHosts.join('\n')}\n`, { mode: 0o600 });
  const guard = setTimeout(() => close(), maxSeconds * 1000);
  guard.unref();
  async function close() {
    clearTimeout(guard);
    for (const s of sockets) s.destroy();
    await Promise.all(listeners.map((l) => new Promise((r) => l.close(() => r()))));
  }
  return { hosts, world, close };
}

function serveClient(client, host, world, authorized, delay) {
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey' || ctx.key.algo !== authorized.type) return ctx.reject(['publickey']);
    const want = authorized.getPublicSSH();
    if (ctx.key.data.length !== want.length || !timingSafeEqual(ctx.key.data, want))
      return ctx.reject(['publickey']);
    if (!ctx.signature) return ctx.accept();
    if (authorized.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
    // Key exchange and authentication: about two round trips on a real network.
    void delay()
      .then(delay)
      .then(() => ctx.accept());
  });
  client.on('ready', () => {
    client.on('session', (accept) => {
      const session = accept();
      session.on('env', (_accept, reject) => reject?.());
      session.on('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec();
        host.counters.execs++;
        const input = [];
        stream.on('data', (chunk) => input.push(chunk));
        stream.on('end', () => {
          void delay().then(() => {
            const r = runCommand(host, world, info.command, Buffer.concat(input));
            if (r.stdout) stream.write(r.stdout);
            if (r.stderr) stream.stderr.write(r.stderr);
            stream.exit(r.code);
            stream.end();
          });
        });
      });
      session.on('sftp', (acceptSftp) => {
        host.counters.sftpSessions++;
        serveSftp(acceptSftp(), host, world, delay);
      });
    });
  });
  client.on('error', () => undefined);
}

/** The SFTP requests eectl's uploads and reads use: open, write, fchmod, fstat, read, close, remove. */
function serveSftp(sftp, host, world, delay) {
  const handles = new Map();
  let next = 0;
  const reply = (fn) => {
    host.counters.sftpRequests++;
    void delay().then(fn);
  };
  sftp.on('OPEN', (id, path, flags, attrs) =>
    reply(() => {
      if (flags & OPEN_MODE.WRITE) {
        if (flags & OPEN_MODE.EXCL && host.files.has(path)) return sftp.status(id, STATUS_CODE.FAILURE);
        if (!host.dirs.has(path.slice(0, path.lastIndexOf('/')) || '/'))
          return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
        const h = Buffer.from(String(next++));
        handles.set(h.toString(), { path, chunks: [], mode: attrs?.mode ?? 0o644, write: true });
        return sftp.handle(id, h);
      }
      const f = host.files.get(path);
      if (!f) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
      const h = Buffer.from(String(next++));
      handles.set(h.toString(), { path, content: f.content, write: false });
      return sftp.handle(id, h);
    }),
  );
  sftp.on('WRITE', (id, handle, offset, data) =>
    reply(() => {
      const h = handles.get(handle.toString());
      if (!h?.write) return sftp.status(id, STATUS_CODE.FAILURE);
      h.chunks.push({ offset, data: Buffer.from(data) });
      return sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSETSTAT', (id, handle, attrs) =>
    reply(() => {
      const h = handles.get(handle.toString());
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
      if (attrs.mode !== undefined) h.mode = attrs.mode;
      return sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSTAT', (id, handle) =>
    reply(() => {
      const h = handles.get(handle.toString());
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
      const now = Math.round(Date.now() / 1000);
      return sftp.attrs(id, {
        mode: 0o100644,
        uid: 0,
        gid: 0,
        size: h.content?.length ?? 0,
        atime: now,
        mtime: now,
      });
    }),
  );
  sftp.on('READ', (id, handle, offset, length) =>
    reply(() => {
      const h = handles.get(handle.toString());
      if (!h || h.write) return sftp.status(id, STATUS_CODE.FAILURE);
      if (offset >= h.content.length) return sftp.status(id, STATUS_CODE.EOF);
      return sftp.data(id, h.content.subarray(offset, offset + length));
    }),
  );
  sftp.on('CLOSE', (id, handle) =>
    reply(() => {
      const h = handles.get(handle.toString());
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
      handles.delete(handle.toString());
      if (h.write) {
        const size = Math.max(0, ...h.chunks.map((c) => c.offset + c.data.length));
        const content = Buffer.alloc(size);
        for (const c of h.chunks) c.data.copy(content, c.offset);
        writeFile(host, h.path, content, h.mode & 0o7777);
      }
      return sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('REMOVE', (id, path) =>
    reply(() => {
      host.files.delete(path);
      return sftp.status(id, STATUS_CODE.OK);
    }),
  );
  for (const op of [
    'OPENDIR',
    'READDIR',
    'LSTAT',
    'STAT',
    'SETSTAT',
    'MKDIR',
    'RMDIR',
    'RENAME',
    'READLINK',
    'SYMLINK',
    'REALPATH',
  ]) {
    sftp.on(op, (id) => {
      host.counters.sftpRequests++;
      world.unknown.push({ host: host.hostname, command: `SFTP ${op}`, why: 'not simulated' });
      sftp.status(id, STATUS_CODE.OP_UNSUPPORTED, `simulator: SFTP ${op} is not simulated`);
    });
  }
}
