import type { HostSpec, Role } from '../config/schema.js';
import { Writable } from 'node:stream';
import type { Connection, ExecOptions, ExecResult, RemoteCommand } from '../ssh/connection.js';
import type { Logger } from '../util/log.js';
import type { Facts } from './facts-types.js';

/** A host of the cluster file with its connection and, once gathered, its facts. */
export class Host {
  facts: Facts | undefined;

  constructor(
    readonly spec: HostSpec,
    readonly conn: Connection,
  ) {}

  /** The address as written in cluster.yaml; it names the host everywhere. */
  get name(): string {
    return this.spec.address;
  }

  get role(): Role {
    return this.spec.role;
  }

  get log(): Logger {
    return this.conn.log;
  }

  /** Managers run Raft; workers and registry nodes are swarm workers. */
  get isManager(): boolean {
    return this.spec.role === 'manager';
  }

  /** Facts, which every phase after gather-facts may rely on. */
  get known(): Facts {
    if (!this.facts) throw new Error(`${this.name}: facts were not gathered`);
    return this.facts;
  }

  /** The swarm advertise address: the file's privateAddress, else the detected private address. */
  get advertiseAddress(): string {
    return this.spec.privateAddress ?? this.facts?.privateAddresses[0] ?? this.spec.address;
  }

  exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult> {
    return this.conn.exec(command, options);
  }

  /** Runs a command as root (sudo when the login user is not root). */
  sudo(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult> {
    return this.conn.exec(command, { ...options, sudo: true });
  }

  /**
   * Runs a command as root whose output is bulk (a journal, an inspect of every object): returned whole,
   * kept out of the run log (which would hold it twice, and every later support dump again).
   */
  async sudoBulk(command: RemoteCommand, options?: Omit<ExecOptions, 'stdoutTo'>): Promise<ExecResult> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const result = await this.sudo(command, { ...options, stdoutTo: sink });
    return { ...result, stdout: Buffer.concat(chunks).toString('utf8') };
  }
}
