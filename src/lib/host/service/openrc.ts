import { rootCommand, type CommandStep, type Step } from '../os/steps.js';
import { serviceName } from './name.js';
import type { ProbeResult, ServiceManager } from './types.js';

/** OpenRC: rc-update and rc-service. */
export class OpenRcManager implements ServiceManager {
  readonly initSystem = 'openrc';

  enableAndStart(service: string): Step[] {
    const name = serviceName(service);
    return [
      rootCommand(['rc-update', 'add', name, 'default'], `start ${service} at boot`),
      rootCommand(['rc-service', name, 'start'], `start ${service}`),
    ];
  }

  restart(service: string): Step[] {
    return [rootCommand(['rc-service', serviceName(service), 'restart'], `restart ${service}`)];
  }

  stop(service: string): Step[] {
    return [rootCommand(['rc-service', serviceName(service), 'stop'], `stop ${service}`)];
  }

  /** No socket activation here: a stopped service stays stopped. */
  stopHeld(service: string): Step[] {
    return this.stop(service);
  }

  startHeld(service: string): Step[] {
    return this.enableAndStart(service);
  }

  /** As root: OpenRC keeps service state under /run/openrc, which users may not read everywhere. */
  isActive(service: string): CommandStep {
    return rootCommand(['rc-service', serviceName(service), 'status'], `is ${service} started?`, {
      check: false,
    });
  }

  /** `status` exits 0 only when started (3 stopped, 32 crashed); " * status: started" confirms it. */
  parseIsActive(result: ProbeResult): boolean {
    return result.code === 0 && !/status: (stopped|crashed|inactive)/.test(result.stdout);
  }

  daemonReload(): Step[] {
    return [];
  }
}
