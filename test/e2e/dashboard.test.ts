import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl, startEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';
import { CHROMIUM_PATH } from './helpers/browser.js';

/** Debian's chromium, as the README and .ci/run install it; nothing is downloaded. */
export const CHROMIUM = {
  executablePath: CHROMIUM_PATH,
  args: [
    '--no-sandbox',
    '--headless',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/**
 * The cluster runs the managers' access policy: the admin's bundle (root) drives the tests above as before;
 * viewer and dev get dashboards of their own on other loopback addresses (their own cookies, same browser).
 */
const ACCESS = {
  users: [{ name: 'root', admin: true }, { name: 'viewer' }, { name: 'dev' }],
  grants: [
    { user: 'viewer', role: 'viewOnly', collection: '/Shared' },
    { user: 'dev', role: 'restrictedControl', collection: '/Shared/team' },
    { user: 'dev', role: 'viewOnly', collection: '/Shared' },
    // The workers' node collection (install labels them /Shared): dev's services may run there.
    { user: 'dev', role: 'scheduler', collection: '/Shared' },
  ],
};

/** Where the README's screenshot comes from (npm run docs:screenshot runs this file). */
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png');

describe('eectl dashboard: the cluster live in a real browser, over the mTLS engine API', () => {
  // One registry host: the Registry page's case (its login is the admin's, as `eectl registry ls` uses).
  const sandbox = useSandbox({ name: 'dashboard', managers: 3, workers: 1, registries: 1 });
  let work = '';
  let image = '';
  let dashboard: ResultPromise | undefined;
  let url = '';
  let context: BrowserContext | undefined;
  let page: Page;
  const bundle = (user = 'root') => join(work, user === 'root' ? 'bundle' : `bundle-${user}`);
  const others: ResultPromise[] = [];
  /** This machine's registry login for the dashboards: the admin password install generated. */
  const registryLogin: Record<string, string> = {};
  const registryAddress = () => `${address('r1')}:5443`;
  /** A dashboard of another user's bundle on its own loopback address, and a page on it. */
  const dashboardOf = async (user: string, listen: string, clusterFile = sandbox.clusterFile) => {
    const child = startEectl(
      ['dashboard', '-c', clusterFile, '--bundle', bundle(user), '--listen', listen, '--json'],
      { timeoutMs: 1_800_000, env: registryLogin },
    );
    others.push(child);
    const at = await firstJsonLine(child);
    const own = await context!.newPage();
    await own.goto(at);
    return { url: at, page: own };
  };
  const address = (h: string) => sandbox.host(h).address;

  /** The plain docker CLI of this machine with the client bundle, as the README shows it. */
  const docker = (args: string[], options: { stdin?: string } = {}) =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 120_000,
      ...(options.stdin === undefined ? {} : { input: options.stdin }),
      env: {
        DOCKER_CONFIG: join(work, 'docker-config'),
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${address('m1')}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bundle(),
      },
    });
  const replicasOf = async (service: string) =>
    (await docker(['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Name}} {{.Replicas}}']))
      .stdout;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-dash-'));
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    doc.spec.access = ACCESS;
    writeFileSync(sandbox.clusterFile, stringify(doc));
    const install = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    registryLogin.EECTL_REGISTRY_USERNAME = 'admin';
    registryLogin.EECTL_REGISTRY_PASSWORD =
      (install.json?.result as { registry?: { adminPassword?: string } }).registry?.adminPassword ?? '';
    const cc = await runEectl(['client-config', '-c', sandbox.clusterFile, '--out', bundle(), '--json'], {
      env: { DOCKER_CONFIG: join(work, 'docker-config') },
    });
    expect(cc.code, cc.stderr).toBe(0);
    for (const user of ['viewer', 'dev']) {
      const other = await runEectl(
        ['client-config', '-c', sandbox.clusterFile, '--user', user, '--out', bundle(user), '--json'],
        { env: { DOCKER_CONFIG: join(work, 'docker-config') } },
      );
      expect(other.code, other.stderr).toBe(0);
    }
    image = await loadBusybox(sandbox, sandbox.hosts);
    const web = await docker([
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web',
      '--replicas',
      '2',
      '--label',
      'eectl.collection=shared',
      '--publish',
      'mode=host,target=8080,published=8080',
      image,
      '/bin/busybox',
      'httpd',
      '-f',
      '-p',
      '8080',
    ]);
    expect(web.code, web.stderr).toBe(0);

    dashboard = startEectl(['dashboard', '-c', sandbox.clusterFile, '--bundle', bundle(), '--json'], {
      timeoutMs: 1_800_000,
      env: registryLogin,
    });
    url = await firstJsonLine(dashboard);
    context = await chromium.launchPersistentContext(mkdtempSync(join(work, 'chromium-')), {
      ...CHROMIUM,
      headless: true,
      viewport: { width: 1360, height: 900 },
      colorScheme: 'light',
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    for (const child of [dashboard, ...others]) child?.kill('SIGTERM');
    for (const child of [dashboard, ...others]) await child?.catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('refuses a visit without the token; with it, the overview shows 3 managers and the quorum in words', async () => {
    const bare = await page.goto(new URL('/', url).toString());
    expect(bare?.status()).toBe(401);
    const stream = await page.request.get(new URL('/api/state', url).toString());
    expect(stream.status()).toBe(401);

    await page.goto(url);
    // The token went into a cookie and out of the address bar.
    expect(page.url()).not.toContain('token=');
    await expect
      .poll(() => page.getByTestId('manager-count').textContent(), { timeout: 30_000 })
      .toBe('3 managers');
    await expect
      .poll(() => page.getByTestId('quorum-sentence').textContent(), { timeout: 30_000 })
      .toBe('In quorum: 3 of 3 managers reachable; 1 more can fail before the swarm stops being managed.');
    const rows = page.locator('tr[data-manager]');
    expect(await rows.count()).toBe(3);
    for (const m of ['m1', 'm2', 'm3']) {
      await expect
        .poll(() =>
          page.locator(`tr[data-manager="${address(m)}"] [data-testid=manager-reachability]`).textContent(),
        )
        .toBe('reachable');
    }
    // Nodes by role, engine version and tasks; the worker too.
    await expect.poll(() => page.locator('tr[data-node="w1"]').textContent()).toContain('worker');
    expect(await page.locator('#banner').isHidden()).toBe(true);
    await expect.poll(() => page.locator('tr[data-node]').count()).toBe(5);
    // Tasks of web (and the registry's) running: the screenshot shows a cluster at work.
    await expect
      .poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 60_000 })
      .toContain('3 tasks running');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('scaling a service with the docker CLI shows the new replica count within 2 s', async () => {
    await page.goto(new URL('/#/services', url).toString());
    const replicas = page.locator('tr[data-service="web"] [data-testid=replicas]');
    await expect.poll(() => replicas.textContent(), { timeout: 60_000 }).toBe('2/2');
    const scaled = await docker(['service', 'scale', '--detach', 'web=3']);
    expect(scaled.code, scaled.stderr).toBe(0);
    const started = Date.now();
    // Checked by the browser as the cell changes (no string is evaluated in the page: its CSP forbids that).
    await page
      .locator('tr[data-service="web"] [data-testid=replicas]', { hasText: /\/3$/ })
      .waitFor({ timeout: 2000 });
    console.log(
      `dashboard: the new desired count showed ${Date.now() - started} ms after docker service scale`,
    );
    await expect.poll(() => replicas.textContent(), { timeout: 60_000 }).toBe('3/3');
  });

  it('scales a service from the page after a confirmation; the CLI sees it', async () => {
    await page.locator('tr[data-service="web"] button', { hasText: 'Scale' }).click();
    const input = page.locator('#scale-replicas');
    await input.fill('1');
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.getByTestId('toast-ok').last().textContent()).toContain('scaled to 1');
    await expect.poll(() => replicasOf('web'), { timeout: 60_000 }).toBe('web 1/1');
  });

  it('deploys a Compose v3 file as a stack from the page; its services converge', async () => {
    await page.goto(new URL('/#/services', url).toString());
    await page.getByRole('button', { name: 'Deploy a stack…' }).click();
    await page.locator('#stack-name').fill('shop');
    await page.locator('#stack-compose').fill(compose(image, 'shop'));
    // The keyboard confirms, as it would for anyone without a mouse.
    await page.locator('#confirm-ok').focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('toast-ok').last().textContent(), { timeout: 120_000 })
      .toContain('stack shop deployed');
    await expect
      .poll(() => page.locator('tr[data-service="shop_api"] [data-testid=replicas]').textContent(), {
        timeout: 120_000,
      })
      .toBe('2/2');
    await expect
      .poll(() => page.locator('tr[data-service="shop_cron"] [data-testid=replicas]').textContent())
      .toBe('1/1');
    expect(await page.locator('tr[data-service="shop_api"]').textContent()).toContain('stack shop');
    expect(await page.locator('tr[data-service="shop_api"]').textContent()).toContain('team-shop');
    expect(
      (await docker(['stack', 'services', 'shop', '--format', '{{.Name}}'])).stdout.split('\n').sort(),
    ).toEqual(['shop_api', 'shop_cron']);
  });

  it('the README way: docker stack deploy with the client bundle, through the control plane; the services converge', async () => {
    const file = join(work, 'docker-compose.yml');
    writeFileSync(file, compose(image, 'cli'));
    const deployed = await docker(['stack', 'deploy', '--resolve-image', 'never', '-c', file, 'cli']);
    expect(deployed.code, deployed.stderr).toBe(0);
    await expect.poll(() => replicasOf('cli_api'), { timeout: 120_000 }).toBe('cli_api 2/2');
    await expect.poll(() => replicasOf('cli_cron'), { timeout: 120_000 }).toBe('cli_cron 1/1');
  });

  it('drains a node from the page after a confirmation; its page shows its tasks gone; activate brings it back', async () => {
    await page.goto(new URL('/#/overview', url).toString());
    await page.locator('tr[data-node="w1"] button', { hasText: 'Drain' }).click();
    await expect.poll(() => page.locator('#confirm-title').textContent()).toBe('Drain node w1?');
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('tr[data-node="w1"]').textContent(), { timeout: 10_000 })
      .toContain('drain');
    const w1 = (await docker(['node', 'inspect', 'w1', '--format', '{{.Spec.Availability}}'])).stdout;
    expect(w1).toBe('drain');
    await page.locator('tr[data-node="w1"] a').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Node w1');
    await expect
      .poll(() => page.locator('tr[data-task]').filter({ hasText: 'running' }).count(), { timeout: 120_000 })
      .toBe(0);
    await page.locator('tr[data-node="w1"] button', { hasText: 'Activate' }).click();
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('tr[data-node="w1"]').textContent(), { timeout: 10_000 })
      .toContain('active');
  });

  it('the events page lists the swarm events of what happened', async () => {
    await page.goto(new URL('/#/events', url).toString());
    await expect
      .poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 10_000 })
      .toContain('shop_api');
  });

  it('the routes page shows the HTTP route a service asks for by its labels', async () => {
    const routed = await docker([
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'routed',
      '--replicas',
      '0',
      '--label',
      'eectl.http.host=shop.example.org',
      '--label',
      'eectl.http.port=8080',
      '--label',
      'eectl.http.path=/api',
      image,
      '/bin/busybox',
      'true',
    ]);
    expect(routed.code, routed.stderr).toBe(0);
    try {
      await page.goto(new URL('/#/routes', url).toString());
      const row = page.locator('tr[data-route="shop.example.org/api"]');
      await expect.poll(async () => (await row.count()) > 0, { timeout: 15_000 }).toBe(true);
      expect(await row.textContent()).toContain('routed');
    } finally {
      await docker(['service', 'rm', 'routed']);
    }
  });

  it('eectl status --services lists the services and their tasks through the engine API', async () => {
    const r = await runEectl([
      'status',
      '-c',
      sandbox.clusterFile,
      '--services',
      '--bundle',
      bundle(),
      '--json',
    ]);
    const result = r.json?.result as { workloads?: { services: { name: string; running: number }[] } };
    expect(r.code, r.stderr).toBe(0);
    expect(result.workloads?.services.map((s) => s.name).sort()).toEqual([
      'cli_api',
      'cli_cron',
      'eectl-registry',
      'shop_api',
      'shop_cron',
      'web',
    ]);
  });

  it('a viewOnly user’s page offers no drain and no scale, says why, and the dashboard itself refuses forged actions', async () => {
    const created = await docker(serviceArgs('team-web', '/Shared/team', image));
    expect(created.code, created.stderr).toBe(0);
    const teamWeb = (await docker(['service', 'inspect', 'team-web', '--format', '{{.ID}}'])).stdout;
    const w1 = (await docker(['node', 'inspect', 'w1', '--format', '{{.ID}}'])).stdout;
    const viewer = await dashboardOf('viewer', '127.0.0.2');
    const own = viewer.page;
    await own.goto(new URL('/#/services', viewer.url).toString());
    await own.locator('tr[data-service="team-web"]').waitFor({ timeout: 30_000 });
    // Five of the tests above and the registry's own service (viewOnly on /Shared lists every service).
    await expect.poll(() => own.locator('tr[data-service]').count()).toBe(7);
    expect(await own.locator('tr[data-service] button').count()).toBe(0);
    expect(await own.getByTestId('scale-note').textContent()).toContain('Scaling: not offered to viewer:');
    // No service is scalable for viewer, so the page has no action column; its state says why for each.
    const state = (await (await own.request.get(new URL('/api/state', viewer.url).toString())).json()) as {
      permissions: { services: Record<string, { allowed: boolean; reason: string }> };
    };
    expect(state.permissions.services[teamWeb]).toEqual({
      allowed: false,
      reason: `service ${teamWeb} in /Shared/team: viewer has no update permission on /Shared/team`,
    });
    expect(await own.getByTestId('permissions-source').textContent()).toContain(
      'for viewer: viewOnly on /Shared, restrictedControl on /Shared/Private/viewer (own)',
    );
    // The model gives every user restricted control of a private collection: stacks may go there only.
    expect(await own.getByTestId('deploy-note').textContent()).toContain('into /Shared/Private/viewer:');
    await own.goto(new URL('/#/overview', viewer.url).toString());
    await expect.poll(() => own.locator('tr[data-node]').count(), { timeout: 30_000 }).toBe(5);
    expect(await own.locator('tr[data-node] button').count()).toBe(0);
    expect(await own.getByTestId('node-note').textContent()).toContain('are for admins only');

    // Forged: the page offers no button, so a script posts to the endpoints itself, with the page's cookie.
    const scale = await own.request.post(new URL(`/api/services/${teamWeb}/scale`, viewer.url).toString(), {
      data: { replicas: 3 },
    });
    expect(scale.status()).toBe(403);
    expect(await scale.json()).toMatchObject({
      denied: true,
      by: 'dashboard',
      message: `refused by the dashboard for viewer: service ${teamWeb} in /Shared/team: viewer has no update permission on /Shared/team`,
    });
    const drain = await own.request.post(new URL(`/api/nodes/${w1}/availability`, viewer.url).toString(), {
      data: { availability: 'drain' },
    });
    expect(drain.status()).toBe(403);
    expect(((await drain.json()) as { by: string; message: string }).by).toBe('dashboard');
    expect((await docker(['node', 'inspect', 'w1', '--format', '{{.Spec.Availability}}'])).stdout).toBe(
      'active',
    );
    expect(
      (await docker(['service', 'inspect', 'team-web', '--format', '{{.Spec.Mode.Replicated.Replicas}}']))
        .stdout,
    ).toBe('1');
    await own.close();
  });

  it('restrictedControl on a collection: scale offered there and allowed by the plugin; a scale the file allows but the managers’ policy does not is shown denied with the plugin’s message', async () => {
    const created = await docker(serviceArgs('ops-web', '/Shared/ops', image));
    expect(created.code, created.stderr).toBe(0);
    // The file is ahead of the managers: a grant added and not installed yet.
    const ahead = join(work, 'cluster-ahead.yaml');
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: { access: typeof ACCESS } };
    doc.spec.access.grants.push({ user: 'dev', role: 'restrictedControl', collection: '/Shared/ops' });
    writeFileSync(ahead, stringify(doc));
    const dev = await dashboardOf('dev', '127.0.0.3', ahead);
    const own = dev.page;
    await own.goto(new URL('/#/services', dev.url).toString());
    const scaleOf = (name: string) => own.locator(`tr[data-service="${name}"] button`, { hasText: 'Scale' });
    await scaleOf('team-web').waitFor({ timeout: 30_000 });
    await scaleOf('ops-web').waitFor();
    // web is the admin's (its label names no collection path): not offered.
    expect(await own.locator('tr[data-service="web"] button').count()).toBe(0);
    expect(await own.locator('tr[data-service="web"] td[title]').getAttribute('title')).toContain(
      'not a collection path',
    );

    await scaleOf('team-web').click();
    await own.locator('#scale-replicas').fill('2');
    await own.locator('#confirm-ok').click();
    await expect.poll(() => own.getByTestId('toast-ok').last().textContent()).toContain('scaled to 2');

    await scaleOf('ops-web').click();
    await own.locator('#scale-replicas').fill('2');
    await own.locator('#confirm-ok').click();
    const denied = own.getByTestId('toast-denied').last();
    await expect
      .poll(() => denied.textContent(), { timeout: 30_000 })
      .toContain('Denied: scale ops-web: authorization denied by plugin eectl-authz:');
    expect(await denied.textContent()).toContain('dev has no update permission on /Shared/ops');
    expect(
      (await docker(['service', 'inspect', 'ops-web', '--format', '{{.Spec.Mode.Replicated.Replicas}}']))
        .stdout,
    ).toBe('1');
    await own.goto(new URL('/#/overview', dev.url).toString());
    await expect.poll(() => own.locator('tr[data-node]').count(), { timeout: 30_000 }).toBe(5);
    expect(await own.locator('tr[data-node] button').count()).toBe(0);
    await own.close();
  });

  it('the Registry page: repositories, tags, digests, sizes, signatures; a viewer sees only what they may pull, and nothing of the rest', async () => {
    expect(registryLogin.EECTL_REGISTRY_PASSWORD).not.toBe('');
    await sandbox.exec('m1', 'printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null', {
      check: true,
      args: [registryLogin.EECTL_REGISTRY_PASSWORD!, registryAddress()],
    });
    // viewer's and dev's private namespaces, and one that only an admin may pull.
    for (const repository of ['viewer/tool:1', 'dev/app:1', 'dev/app:2', 'ops/secret:1']) {
      await sandbox.exec('m1', 'docker tag "$1" "$2" && docker push "$2" >/dev/null', {
        check: true,
        args: [image, `${registryAddress()}/${repository}`],
        timeoutMs: 300_000,
      });
    }
    await page.goto(new URL('/#/registry', url).toString());
    /** The repositories the page shows, in order (attribute by attribute: the page's CSP allows no eval). */
    const repositories = async (p: Page) => {
      const sections = p.locator('section[data-repository]');
      const names: (string | null)[] = [];
      for (let i = 0; i < (await sections.count()); i++) {
        names.push(await sections.nth(i).getAttribute('data-repository'));
      }
      return names;
    };
    await expect
      .poll(() => repositories(page), { timeout: 60_000 })
      .toEqual(['dev/app', 'ops/secret', 'viewer/tool']);
    const row = page.locator('section[data-repository="dev/app"] tr[data-tag="2"]');
    expect(await row.locator('td').nth(1).textContent()).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(await row.locator('td').nth(1).getAttribute('title')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await row.locator('td').nth(2).textContent()).toMatch(/^[0-9.]+ (KiB|MiB)$/);
    // No key is trusted in this file: no tag shows as signed, and the page says why.
    expect(await row.locator('td[data-signed]').getAttribute('data-signed')).toBe('no');
    expect(await page.locator('main').textContent()).toContain('No key is trusted');
    expect(await page.getByTestId('registry-source').textContent()).toContain(
      'only the repositories root may pull',
    );

    // viewer, with the same registry login on this machine: their own namespace, and dev's (viewOnly on
    // /Shared reaches /Shared/Private/dev, as the token service decides), but not ops/, which no rule gives.
    const viewer = await dashboardOf('viewer', '127.0.0.4');
    await viewer.page.goto(new URL('/#/registry', viewer.url).toString());
    await expect
      .poll(() => repositories(viewer.page), { timeout: 60_000 })
      .toEqual(['dev/app', 'viewer/tool']);
    const text = (await viewer.page.locator('main').textContent()) ?? '';
    const answer = await (
      await viewer.page.request.get(new URL('/api/registry', viewer.url).toString())
    ).text();
    for (const hidden of ['ops/secret']) {
      expect(text).not.toContain(hidden);
      expect(answer).not.toContain(hidden);
    }
    expect(JSON.parse(answer)).toMatchObject({
      omittedRepositories: 0,
      repositories: [{ name: 'dev/app' }, { name: 'viewer/tool' }],
    });
  });

  it('a manager whose host stops turns unreachable on the page, which says so plainly', async () => {
    await page.goto(new URL('/#/overview', url).toString());
    await sandbox.stop('m1');
    const m1 = page.locator(`tr[data-manager="${address('m1')}"] [data-testid=manager-reachability]`);
    await expect.poll(() => m1.textContent(), { timeout: 15_000 }).toBe('unreachable');
    await expect.poll(() => page.locator('#banner').textContent()).toContain('cannot be reached');
    // The other managers still answer: the page goes on reading through them.
    await expect
      .poll(() => page.getByTestId('quorum-sentence').textContent(), { timeout: 60_000 })
      .toBe('In quorum: 2 of 3 managers reachable; no further manager can fail without losing the quorum.');
  });
});

/**
 * `docker service create` of a one-replica busybox service in a collection, pinned to the workers of /Shared
 * as the managers require of a service a non-admin changes (it is made by the admin, and scaled by dev).
 */
function serviceArgs(name: string, collection: string, image: string): string[] {
  return [
    'service',
    'create',
    '--detach',
    '--no-resolve-image',
    '--name',
    name,
    '--replicas',
    '1',
    '--label',
    `eectl.collection=${collection}`,
    '--constraint',
    'node.role==worker',
    '--constraint',
    'node.labels.eectl.collection==/Shared',
    image,
    '/bin/busybox',
    'sleep',
    '86400',
  ];
}

/** A Compose v3 file of two services from the local busybox image (no registry is pulled from). */
function compose(image: string, collection: string): string {
  return `version: "3.8"
services:
  api:
    image: ${image}
    command: ["/bin/busybox", "httpd", "-f", "-p", "8081"]
    deploy:
      replicas: 2
      labels:
        eectl.collection: team-${collection}
  cron:
    image: ${image}
    command: ["/bin/busybox", "sleep", "86400"]
    deploy:
      replicas: 1
`;
}

/** The URL of `eectl dashboard --json`, which prints its envelope once it listens. */
async function firstJsonLine(child: ResultPromise): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const parsed = JSON.parse(line) as { status: number; result: { url: string } };
    lines.close();
    return parsed.result.url;
  }
  throw new Error(`eectl dashboard ended before it printed its URL: ${String((await child).stderr)}`);
}
