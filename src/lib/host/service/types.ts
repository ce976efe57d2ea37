import type { InitSystem } from '../facts-types.js';
import type { CommandStep, Step } from '../os/steps.js';

/** The outcome of a status probe, as Connection.exec returns it. */
export interface ProbeResult {
  code: number | null;
  stdout: string;
}

/** Starting, stopping and probing a service (docker, containerd) under one init system. */
export interface ServiceManager {
  readonly initSystem: Exclude<InitSystem, 'unknown'>;
  /** Starts the service now and at every boot. */
  enableAndStart(service: string): Step[];
  restart(service: string): Step[];
  stop(service: string): Step[];
  /**
   * Stops the service so that nothing starts it before `startHeld`: under systemd its socket goes too,
   * which would start it on the next connection to it (a client touching the socket mid-backup).
   */
  stopHeld(service: string): Step[];
  /** Starts what `stopHeld` stopped, now and at every boot. */
  startHeld(service: string): Step[];
  /** A probe to run unchecked; parseIsActive reads its result. */
  isActive(service: string): CommandStep;
  parseIsActive(result: ProbeResult): boolean;
  /** Makes the init system read changed unit files (drop-ins); nothing outside systemd. */
  daemonReload(): Step[];
}
