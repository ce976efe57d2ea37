import type { ClusterConfig } from '../../src/lib/config/schema.js';
import { newClusterContext, type ClusterContext } from '../../src/lib/phases/runner/cluster-context.js';
import type { Session } from '../../src/lib/cluster/session.js';
import type { Connection } from '../../src/lib/ssh/connection.js';
import { nullLogger } from '../../src/lib/util/log.js';

/**
 * Typed stand-ins for unit tests, built with the real constructors: when a context or a connection gains a
 * field, these follow (or stop compiling), instead of a cast hiding a field that no longer exists.
 */

/** The parts of a connection a test may script; what it does not give fails loudly when called. */
export type ConnectionParts = Partial<
  Pick<Connection, 'connect' | 'exec' | 'upload' | 'readFile' | 'close'>
> & {
  isRoot?: boolean;
};

/** A connection that does only what the test gave it: any other call rejects, naming the host and the call. */
export function stubConnection(name: string, parts: ConnectionParts = {}): Connection {
  const unexpected = (what: string) => () =>
    Promise.reject(new Error(`${name}: the test gave this connection no ${what}`));
  return {
    name,
    log: nullLogger,
    isRoot: parts.isRoot ?? true,
    connect: parts.connect ?? (() => Promise.resolve()),
    exec: parts.exec ?? unexpected('exec'),
    upload: parts.upload ?? unexpected('upload'),
    readFile: parts.readFile ?? unexpected('readFile'),
    close: parts.close ?? (() => Promise.resolve()),
  };
}

/** A session for contexts whose test reaches no host through it: a connect rejects. */
export const noSession: Session = {
  connect: (spec) =>
    Promise.reject(new Error(`the test's context connects to no host (asked: ${spec.address})`)),
  close: () => Promise.resolve(),
};

/** What a test may set when it builds a cluster context: the action's options, then any field of the context. */
export interface TestClusterContextOptions {
  dryRun?: boolean;
  concurrency?: number;
  session?: Session;
  /** Fields of the context as phases before the tested one would have left them. */
  fields?: Partial<ClusterContext>;
}

/** A cluster context as an action builds it (newClusterContext), with the fields the test gives. */
export function testClusterContext(
  config: ClusterConfig,
  options: TestClusterContextOptions = {},
): ClusterContext {
  const ctx = newClusterContext({
    config,
    session: options.session ?? noSession,
    log: nullLogger,
    dryRun: options.dryRun ?? false,
    concurrency: options.concurrency ?? 10,
    progress: 'silent',
  });
  return Object.assign(ctx, options.fields);
}
