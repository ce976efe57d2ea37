import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { StatusResult } from '../../src/lib/results/status.js';
import { verifySignature } from '../../src/lib/webhooks/sign.js';
import { runEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';
import { waitFor } from './helpers/wait.js';

const PORT = 5443;
const CI_KEY = 'e2e-ci-hmac-key-9f3b1c';
const DOWN_KEY = 'e2e-down-hmac-key-47aa0e';

/** One delivery as the test's receiver saw it: verified with the key the file names, and its events. */
interface Delivery {
  verified: boolean;
  events: { action: string; target: { repository: string; tag?: string; mediaType: string } }[];
}

/** Listens on `address`, port chosen by the system: the receiver a user would run (the README's recipe). */
function startReceiver(address: string, key: string) {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const verified = verifySignature(key, raw, req.headers['x-hub-signature-256'] as string | undefined);
      deliveries.push({ verified, events: verified ? (JSON.parse(raw.toString()) as Delivery).events : [] });
      res.writeHead(verified ? 204 : 401).end();
    });
  });
  return new Promise<{ server: Server; port: number; deliveries: Delivery[] }>((resolve) =>
    server.listen(0, address, () =>
      resolve({ server, port: (server.address() as AddressInfo).port, deliveries }),
    ),
  );
}

describe('registry webhooks: a push is delivered signed; a failing endpoint blocks nothing and shows in status', () => {
  const sandbox = useSandbox({ name: 'registry-webhooks', managers: 1, registries: 1 });
  let work = '';
  let file = '';
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  const env = { CI_HOOK_KEY: CI_KEY, DOWN_HOOK_KEY: DOWN_KEY };

  afterAll(async () => {
    receiver?.server.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs with two endpoints, pushes, and the receiver verifies a push event for the tag', async () => {
    work = await mkdtemp(join(tmpdir(), 'eectl-e2e-webhooks-'));
    const gateway = sandbox.description.network.gateway;
    receiver = await startReceiver(gateway, CI_KEY);
    // Nothing listens there: connections are refused, every attempt fails.
    const closed = await startReceiver(gateway, DOWN_KEY);
    closed.server.close();
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(
      ['spec', 'registry', 'notifications'],
      [
        { name: 'ci', url: `http://${gateway}:${receiver.port}/hook`, secretEnv: 'CI_HOOK_KEY' },
        { name: 'down', url: `http://${gateway}:${closed.port}/hook`, secretEnv: 'DOWN_HOOK_KEY' },
      ],
    );
    file = join(work, 'cluster.yaml');
    await writeFile(file, doc.toString());

    const installed = await runEectl(['install', '-c', file, '--json'], { env });
    expect({ code: installed.code, error: installed.json?.error }, installed.stderr.slice(-2000)).toEqual({
      code: 0,
      error: undefined,
    });
    const password =
      (installed.json?.result as { registry?: { adminPassword?: string } }).registry?.adminPassword ?? '';
    const registry = `${sandbox.host('r1').address}:${PORT}`;
    const base = await loadBusybox(sandbox, ['m1']);
    // The push succeeds although one endpoint fails: Distribution queues and retries, it never blocks.
    await sandbox.exec(
      'm1',
      'printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null && ' +
        'docker tag "$3" "$2/e2e/app:v1" && docker push "$2/e2e/app:v1" >/dev/null',
      { check: true, args: [password, registry, base], timeoutMs: 120_000 },
    );
    await waitFor(
      'a verified push event for e2e/app:v1',
      async () =>
        receiver!.deliveries.some(
          (d) =>
            d.verified &&
            d.events.some(
              (e) => e.action === 'push' && e.target.repository === 'e2e/app' && e.target.tag === 'v1',
            ),
        ),
      60_000,
    );
    // Every delivery carried a good signature, and blob pushes were left out (manifest events only).
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
    const types = receiver.deliveries.flatMap((d) => d.events.map((e) => e.target.mediaType));
    expect(types.filter((t) => t === 'application/octet-stream')).toEqual([]);
  });

  it('eectl status --json shows ci delivering and down failing with its events pending', async () => {
    let status: StatusResult | undefined;
    await waitFor(
      'the failing endpoint in status',
      async () => {
        const r = await runEectl(['status', '-c', file, '--json'], { env });
        status = r.json?.result as StatusResult | undefined;
        return (status?.webhooks?.endpoints.find((e) => e.name === 'down')?.failed ?? 0) > 0;
      },
      60_000,
    );
    const [ci, down] = status!.webhooks!.endpoints;
    expect(ci).toMatchObject({ name: 'ci', failing: false, failed: 0, pending: 0 });
    expect(ci!.delivered).toBeGreaterThanOrEqual(1);
    expect(down).toMatchObject({ name: 'down', failing: true, delivered: 0 });
    expect(down!.pending).toBeGreaterThanOrEqual(1);
    expect(down!.lastError).toMatch(/fetch failed|ECONNREFUSED/);
    expect(status!.webhooks!.unread).toEqual([]);
    expect(status!.warnings).toContainEqual(expect.stringMatching(/^webhook down \(http:.*not delivered/));
  });

  it('keeps the signing keys out of the swarm: not in the service, its configs or secrets names', async () => {
    const swarm = await sandbox.exec(
      'm1',
      'docker service inspect eectl-registry && ' +
        'for c in $(docker config ls -q); do docker config inspect --pretty "$c"; done; docker secret ls',
      { check: true },
    );
    expect(swarm.stdout).toContain('eectl-webhook-relay');
    expect(swarm.stdout).not.toContain(CI_KEY);
    expect(swarm.stdout).not.toContain(DOWN_KEY);
    const relay = await sandbox.exec('r1', 'stat -c "%a %U" /etc/eectl/webhooks/relay.json; ps -eo args', {
      check: true,
    });
    expect(relay.stdout).toMatch(/^600 eectl-webhooks\n/);
    expect(relay.stdout).not.toContain(CI_KEY);
  });

  it('a second install changes nothing: the token is kept, the replicas and the relay are left as they are', async () => {
    const again = await runEectl(['install', '-c', file, '--json'], { env });
    const result = again.json?.result as { converged?: boolean; changes?: unknown[] } | undefined;
    expect(
      { code: again.code, converged: result?.converged, changes: result?.changes },
      again.stderr.slice(-2000),
    ).toEqual({
      code: 0,
      converged: true,
      changes: [],
    });
  });
});
