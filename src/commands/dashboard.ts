import { Flags } from '@oclif/core';
import { startDashboard } from '../lib/actions/dashboard.js';
import type { DashboardResult } from '../lib/results/dashboard.js';
import { BaseCommand } from '../lib/base-command.js';
import { LocalConnection } from '../lib/ssh/local-connection.js';

export default class Dashboard extends BaseCommand<typeof Dashboard> {
  static override summary = 'Serve a local web page of the cluster and its workloads, live';
  static override description = `Reads the cluster through the managers' mutual-TLS engine API with your client bundle (the next manager when one does not answer), so the managers' access control applies to what it shows and does. Pages: overview (quorum, managers, nodes, certificates, registry replicas, drift from the file), services, tasks, events, registry (the repositories the bundle's user may pull, decided by the registry token service's own rule, with tags, digests, sizes and trusted signatures; read with this machine's registry login, EECTL_REGISTRY_USERNAME/EECTL_REGISTRY_PASSWORD or docker login, at most every 30 s and within bounds), and a page per node and service; updated live (within about 2 s). Actions, each behind a confirmation: drain or activate a node, scale a service, deploy a Compose v3 file as a stack (with the docker CLI of this machine and the bundle). With spec.access in the file, only the actions its access policy gives the bundle's user are offered (per node and per service's collection), and the server refuses the others itself; the managers still decide last. Without spec.access every action is offered.

Listens on 127.0.0.1 with a random port unless told otherwise, and prints a URL with an access token that works until the server stops: anyone with the URL acts with your bundle's rights, so do not share it (--open hands the browser a token of its own that works once, within a minute, since a browser's command line is visible to this machine's other users). --listen on another address makes the page reachable from the network (with a warning). Stop it with Ctrl-C.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 8443 --open',
    '<%= config.bin %> <%= command.id %> --bundle ~/.eectl/prod/bundles/alice',
    'EECTL_REGISTRY_USERNAME=ops EECTL_REGISTRY_PASSWORD=… <%= config.bin %> <%= command.id %>',
  ];
  static override flags = {
    port: Flags.integer({
      description: 'Port to listen on (0: any free port)',
      default: 0,
      min: 0,
      max: 65535,
    }),
    listen: Flags.string({ description: 'Address to listen on', default: '127.0.0.1' }),
    open: Flags.boolean({ description: 'Open the page in the default browser (xdg-open)', default: false }),
    bundle: Flags.string({
      description: 'Client bundle directory (default ~/.eectl/<cluster>/bundles/admin)',
    }),
  };

  async run(): Promise<DashboardResult> {
    const { config, path } = await this.loadCluster();
    const { result, openUrl, close } = await startDashboard({
      config,
      file: path,
      bundleDir: this.flags.bundle,
      listen: this.flags.listen,
      port: this.flags.port,
      log: this.log_,
    });
    // Printed now, not at the end: the server runs until interrupted.
    // One line, so a script reads the URL as soon as it is there.
    if (this.jsonEnabled()) this.logJson(this.toSuccessJson(result), { oneLine: true });
    else {
      this.log(`eectl dashboard for cluster ${result.cluster}, as ${result.user} (bundle ${result.bundle})`);
      this.log(`Managers: ${result.managers.join(', ')}`);
      this.log(`Actions offered: ${result.permissions}`);
      this.log(
        `\n  ${result.url}\n\nOpen it in a browser; the token in it is your access. Ctrl-C stops the server.`,
      );
    }
    if (this.flags.open) {
      // A single-use token: a command line is visible to the machine's other users.
      const url = openUrl();
      const opened = await new LocalConnection('localhost', this.log_)
        .exec(['xdg-open', url], {
          check: false,
          timeoutMs: 10_000,
          secrets: [new URL(url).searchParams.get('token')!],
        })
        .catch((e: Error) => ({ code: 1, stderr: e.message }));
      if (opened.code !== 0)
        this.log_.warn(`could not open a browser (xdg-open): open the URL above yourself`);
    }
    // Until Ctrl-C, SIGTERM or a closed stdout (BaseCommand's interrupt); then exit 130.
    const stop = this.interrupt.signal;
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
    await close();
    return result;
  }
}
