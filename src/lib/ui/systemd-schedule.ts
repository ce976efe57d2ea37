/**
 * A systemd service and timer that run one eectl command on a calendar (`--schedule`): printed, never
 * installed, so the operator puts them where their machine keeps units and reviews them first.
 */

/** One argument in systemd's ExecStart syntax: double-quoted, `\` and `"` escaped, `%` and `$` doubled. */
export function systemdArg(value: string): string {
  if (/[\0\n\r]/.test(value)) throw new Error('an ExecStart argument cannot hold a newline or NUL');
  const escaped = value
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_./:=@+,-]+$/.test(value) ? escaped : `"${escaped}"`;
}

/** What the units run and when. */
export interface ScheduleSpec {
  /** The unit name without suffix, e.g. `eectl-registry-gc-prod`. */
  unit: string;
  description: string;
  /** argv of the command, the executable first (an absolute path). */
  command: string[];
  /** A systemd calendar expression, e.g. `Sun *-*-* 03:00:00`. */
  onCalendar: string;
}

/** The text of `<unit>.service` and `<unit>.timer`, with where to put them and how to enable them. */
export function systemdSchedule(spec: ScheduleSpec): string {
  if (!/^[A-Za-z0-9_.@-]+$/.test(spec.unit)) throw new Error(`not a unit name: ${spec.unit}`);
  if (/[\n\r]/.test(spec.onCalendar) || /[\n\r]/.test(spec.description)) {
    throw new Error('a calendar or description cannot hold a newline');
  }
  return [
    `# /etc/systemd/system/${spec.unit}.service`,
    '[Unit]',
    `Description=${spec.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${spec.command.map(systemdArg).join(' ')}`,
    '',
    `# /etc/systemd/system/${spec.unit}.timer`,
    '[Unit]',
    `Description=${spec.description} (schedule)`,
    '',
    '[Timer]',
    `OnCalendar=${spec.onCalendar}`,
    'Persistent=true',
    'RandomizedDelaySec=15m',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
    `# Then: systemctl daemon-reload && systemctl enable --now ${spec.unit}.timer`,
    '',
  ].join('\n');
}
