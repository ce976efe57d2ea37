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
    return [
      this.resetStartLimit(service),
      rootCommand(['systemctl', 'restart', serviceName(service)], `restart ${service}`),
    ];
  }

  /**
   * Before a restart of a running service (or its start after a stop eectl made): systemd refuses a unit's
   * fourth start within a minute (docker.service: StartLimitBurst=3, StartLimitIntervalSec=60s), counting
   * deliberate starts as well as its own restarts after a crash. A restart eectl asked for right after an
   * operator's restarts, or an earlier run's, was refused with "start of the service was attempted too
   * often", and the engine stayed stopped: a host taken out of service by a restart meant to be harmless.
   * Resetting the counter first makes eectl's start count as one. Crash loops stay limited: systemd's own
   * restarts after a failure count from here, and a start that fails still fails the turn. A first start
   * (enableAndStart) has nothing to reset. Unchecked: nothing to reset is no error.
   */
  private resetStartLimit(service: string): Step {
    return rootCommand(
      ['systemctl', 'reset-failed', serviceName(service)],
      `reset the start limit of ${service}`,
      { check: false },
    );
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
      this.resetStartLimit(service),
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
