import { describe, expect, it } from 'vitest';
import type { CommandStep, Step } from '../../../../src/lib/host/os/steps.js';
import { serviceManagerFor } from '../../../../src/lib/host/service/index.js';

const argv = (steps: readonly Step[]) => steps.map((s) => (s.kind === 'command' ? [...s.command] : []));

describe('systemd', () => {
  const systemd = serviceManagerFor('systemd');

  it('enables, starts, restarts, stops and reloads with systemctl as root', () => {
    expect(argv(systemd.enableAndStart('docker'))).toEqual([['systemctl', 'enable', '--now', 'docker']]);
    expect(argv(systemd.restart('docker'))).toEqual([
      ['systemctl', 'reset-failed', 'docker'],
      ['systemctl', 'restart', 'docker'],
    ]);
    expect(argv(systemd.stop('docker'))).toEqual([['systemctl', 'stop', 'docker']]);
    expect(argv(systemd.daemonReload())).toEqual([['systemctl', 'daemon-reload']]);
    expect(systemd.restart('docker')[1]).toMatchObject({ sudo: true, check: true });
  });

  it('resets the start rate counter before a restart, and before a start after its own stop, unchecked: a fourth start within a minute is otherwise refused', () => {
    expect(systemd.restart('docker')[0]).toMatchObject({
      command: ['systemctl', 'reset-failed', 'docker'],
      sudo: true,
      check: false,
    });
    expect(systemd.startHeld('docker')[1]).toMatchObject({
      command: ['systemctl', 'reset-failed', 'docker'],
      check: false,
    });
    // A first start has nothing to reset, and no line in the plan for it.
    expect(argv(systemd.enableAndStart('docker'))).toEqual([['systemctl', 'enable', '--now', 'docker']]);
  });

  it('holds a stopped engine stopped: its socket goes first (it would start the engine on the next connection), and comes back with it', () => {
    expect(argv(systemd.stopHeld('docker'))).toEqual([
      ['systemctl', 'stop', 'docker.socket'],
      ['systemctl', 'stop', 'docker'],
    ]);
    expect(systemd.stopHeld('docker')[0]).toMatchObject({ sudo: true, check: false });
    expect(argv(systemd.startHeld('docker'))).toEqual([
      ['systemctl', 'start', 'docker.socket'],
      ['systemctl', 'reset-failed', 'docker'],
      ['systemctl', 'enable', '--now', 'docker'],
    ]);
  });

  it('probes with is-active, unchecked and unprivileged', () => {
    const probe: CommandStep = systemd.isActive('docker');
    expect(probe).toMatchObject({ command: ['systemctl', 'is-active', 'docker'], sudo: false, check: false });
    expect(systemd.parseIsActive({ code: 0, stdout: 'active\n' })).toBe(true);
    expect(systemd.parseIsActive({ code: 0, stdout: 'reloading\n' })).toBe(true);
    expect(systemd.parseIsActive({ code: 3, stdout: 'inactive\n' })).toBe(false);
    expect(systemd.parseIsActive({ code: 3, stdout: 'failed\n' })).toBe(false);
    expect(systemd.parseIsActive({ code: 3, stdout: 'activating\n' })).toBe(false);
    expect(systemd.parseIsActive({ code: null, stdout: '' })).toBe(false);
  });
});

describe('openrc', () => {
  const openrc = serviceManagerFor('openrc');

  it('adds to the default runlevel, then starts', () => {
    expect(argv(openrc.enableAndStart('docker'))).toEqual([
      ['rc-update', 'add', 'docker', 'default'],
      ['rc-service', 'docker', 'start'],
    ]);
    expect(argv(openrc.restart('docker'))).toEqual([['rc-service', 'docker', 'restart']]);
    expect(argv(openrc.stop('docker'))).toEqual([['rc-service', 'docker', 'stop']]);
    expect(openrc.daemonReload()).toEqual([]);
  });

  it('reads rc-service status', () => {
    expect(openrc.isActive('docker')).toMatchObject({
      command: ['rc-service', 'docker', 'status'],
      check: false,
    });
    expect(openrc.parseIsActive({ code: 0, stdout: ' * status: started\n' })).toBe(true);
    expect(openrc.parseIsActive({ code: 3, stdout: ' * status: stopped\n' })).toBe(false);
    expect(openrc.parseIsActive({ code: 32, stdout: ' * status: crashed\n' })).toBe(false);
  });
});

describe('sysvinit', () => {
  const sysv = serviceManagerFor('sysvinit');

  it('enables at boot with a constant script that takes the name as $1', () => {
    const [enable, start] = sysv.enableAndStart('docker');
    expect(enable?.kind === 'command' && enable.command.slice(0, 2)).toEqual(['sh', '-c']);
    const command = enable?.kind === 'command' ? enable.command : [];
    expect(command.slice(3)).toEqual(['sh', 'docker']);
    expect(command[2]).toContain('update-rc.d "$1" defaults');
    expect(command[2]).toContain('chkconfig "$1" on');
    expect(command[2]).not.toContain('docker');
    expect(argv(start ? [start] : [])).toEqual([['service', 'docker', 'start']]);
    expect(sysv.daemonReload()).toEqual([]);
  });

  it('reads the LSB status exit code', () => {
    expect(sysv.isActive('docker').command).toEqual(['service', 'docker', 'status']);
    expect(sysv.parseIsActive({ code: 0, stdout: 'Docker is running.\n' })).toBe(true);
    expect(sysv.parseIsActive({ code: 3, stdout: 'Docker is not running ... failed!\n' })).toBe(false);
  });
});

describe('serviceManagerFor', () => {
  it('refuses an unknown init system', () => {
    expect(() => serviceManagerFor('unknown')).toThrow(
      expect.objectContaining({ code: 'EUNSUPPORTED_INIT', exitCode: 3 }),
    );
  });

  it.each(['systemd', 'openrc', 'sysvinit'] as const)(
    '%s refuses a name that could read as an option or shell',
    (init) => {
      const manager = serviceManagerFor(init);
      for (const name of ['docker; reboot', '--now', '../docker', '']) {
        expect(() => manager.restart(name)).toThrow(/not a service name/);
      }
    },
  );
});
