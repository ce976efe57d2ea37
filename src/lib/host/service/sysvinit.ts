import { rootCommand, type CommandStep, type Step } from '../os/steps.js';
import { serviceName } from './name.js';
import type { ProbeResult, ServiceManager } from './types.js';

/**
 * Enables a SysV service at boot with whichever tool the distribution has: update-rc.d (Debian) or chkconfig
 * (RHEL). A constant script: the service name is passed as "$1", never pasted into it.
 */
const ENABLE_AT_BOOT = [
  'if command -v update-rc.d >/dev/null 2>&1; then exec update-rc.d "$1" defaults; fi',
  'if command -v chkconfig >/dev/null 2>&1; then exec chkconfig "$1" on; fi',
  'echo "neither update-rc.d nor chkconfig is installed" >&2; exit 127',
].join('\n');

/** SysV init: service, with update-rc.d or chkconfig for boot. */
export class SysvinitManager implements ServiceManager {
  readonly initSystem = 'sysvinit';

  enableAndStart(service: string): Step[] {
    const name = serviceName(service);
    return [
      rootCommand(['sh', '-c', ENABLE_AT_BOOT, 'sh', name], `start ${service} at boot`),
      rootCommand(['service', name, 'start'], `start ${service}`),
    ];
  }

  restart(service: string): Step[] {
    return [rootCommand(['service', serviceName(service), 'restart'], `restart ${service}`)];
  }

  stop(service: string): Step[] {
    return [rootCommand(['service', serviceName(service), 'stop'], `stop ${service}`)];
  }

  /** No socket activation here: a stopped service stays stopped. */
  stopHeld(service: string): Step[] {
    return this.stop(service);
  }

  startHeld(service: string): Step[] {
    return this.enableAndStart(service);
  }

  /** As root: init scripts read pid files that users may not. */
  isActive(service: string): CommandStep {
    return rootCommand(['service', serviceName(service), 'status'], `is ${service} running?`, {
      check: false,
    });
  }

  /** LSB: `status` exits 0 when running, 3 when stopped, 1 or 2 when dead with a pid file left behind. */
  parseIsActive(result: ProbeResult): boolean {
    return result.code === 0;
  }

  daemonReload(): Step[] {
    return [];
  }
}
