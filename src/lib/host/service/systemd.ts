import { rootCommand, userCommand, type CommandStep, type Step } from '../os/steps.js';
import { serviceName } from './name.js';
import type { ProbeResult, ServiceManager } from './types.js';

/** systemd: systemctl. */
export class SystemdManager implements ServiceManager {
  readonly initSystem = 'systemd';

  enableAndStart(service: string): Step[] {
    return [
      rootCommand(['systemctl', 'enable', '--now', serviceName(service)], `enable and start ${service}`),
    ];
  }

  restart(service: string): Step[] {
    return [rootCommand(['systemctl', 'restart', serviceName(service)], `restart ${service}`)];
  }

  stop(service: string): Step[] {
    return [rootCommand(['systemctl', 'stop', serviceName(service)], `stop ${service}`)];
  }

  stopHeld(service: string): Step[] {
    const socket = `${serviceName(service)}.socket`;
    return [
      // Unchecked: a unit without a socket (or a host where it is not installed) has nothing to stop.
      rootCommand(['systemctl', 'stop', socket], `stop ${socket} (it would start ${service} again)`, {
        check: false,
      }),
      ...this.stop(service),
    ];
  }

  startHeld(service: string): Step[] {
    const socket = `${serviceName(service)}.socket`;
    return [
      rootCommand(['systemctl', 'start', socket], `start ${socket}`, { check: false }),
      ...this.enableAndStart(service),
    ];
  }

  isActive(service: string): CommandStep {
    return userCommand(['systemctl', 'is-active', serviceName(service)], `is ${service} active?`, false);
  }

  /** `is-active` exits 0 and prints "active" (or "reloading") only for a running unit. */
  parseIsActive(result: ProbeResult): boolean {
    const state = result.stdout.trim().split('\n')[0];
    return result.code === 0 && (state === 'active' || state === 'reloading');
  }

  daemonReload(): Step[] {
    return [rootCommand(['systemctl', 'daemon-reload'], 'reload systemd unit files')];
  }
}
