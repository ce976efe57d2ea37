import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl, startEectl } from '../helpers/cli.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

/** Debian's chromium, as the README and .ci/run install it; nothing is downloaded. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
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

/** Where the README's screenshot comes from (npm run docs:screenshot runs this file). */
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png');

describe('eectl dashboard: the cluster live in a real browser, over the mTLS engine API', () => {
  const sandbox = useSandbox({ name: 'dashboard', managers: 3, workers: 1 });
  let work = '';
  let image = '';
  let dashboard: ResultPromise | undefined;
  let url = '';
  let context: BrowserContext | undefined;
  let page: Page;
  const bundle = () => join(work, 'bundle');
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
    const install = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    const cc = await runEectl(['client-config', '-c', sandbox.clusterFile, '--out', bundle(), '--json'], {
      env: { DOCKER_CONFIG: join(work, 'docker-config') },
    });
    expect(cc.code, cc.stderr).toBe(0);
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
    dashboard?.kill('SIGTERM');
    await dashboard?.catch(() => undefined);
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
    await expect.poll(() => page.locator('tr[data-node]').count()).toBe(4);
    // Tasks of web running: the screenshot shows a cluster at work.
    await expect
      .poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 60_000 })
      .toContain('2 tasks running');
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
      'shop_api',
      'shop_cron',
      'web',
    ]);
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
