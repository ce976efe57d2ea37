import { EectlError, ExitCode } from '../../errors.js';
import type { InitSystem } from '../facts-types.js';
import { OpenRcManager } from './openrc.js';
import { SystemdManager } from './systemd.js';
import { SysvinitManager } from './sysvinit.js';
import type { ServiceManager } from './types.js';

export type { ProbeResult, ServiceManager } from './types.js';

/** The service manager for a host's init system (facts.initSystem). */
export function serviceManagerFor(initSystem: InitSystem): ServiceManager {
  switch (initSystem) {
    case 'systemd':
      return new SystemdManager();
    case 'openrc':
      return new OpenRcManager();
    case 'sysvinit':
      return new SysvinitManager();
    case 'unknown':
      throw new EectlError('eectl cannot manage services on this host: its init system was not recognised', {
        code: 'EUNSUPPORTED_INIT',
        exitCode: ExitCode.preflight,
        suggestions: ['eectl manages the engine with systemd, OpenRC or SysV init.'],
      });
  }
}
