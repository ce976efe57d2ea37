import {
  INSTALL_RECORD_DIR,
  LOCK_DIR,
  API_DROP_IN,
  BUNDLES_DIR,
  CERTS_D_DIR,
  DAEMON_JSON,
  ENGINE_PROXY_DROP_IN,
} from '../host-layout.js';
import { APT_KEYRING, APT_SOURCE_FILE } from './os/apt.js';
import { YUM_REPO_FILE } from './os/dnf.js';
import { ZYPPER_REPO_FILE } from './os/zypper.js';

/**
 * What a host had before eectl first changed it, written by install before that first change, so reset
 * puts back what was there instead of removing everything an engine can own. Root-only (0600): the
 * original daemon.json may hold what an operator would not show every local user.
 */
export interface InstallRecord {
  version: 1;
  recordedAt: string;
  /** Engine packages (the configurer's installed query) that were installed already: reset keeps them. */
  packages: string[];
  /** Whether the docker group existed: reset deletes it only when it did not. */
  dockerGroup: boolean;
  /** Whether /etc/docker existed with something in it: then reset restores its parts, else removes it. */
  etcDocker: boolean;
  /** What /etc/docker held (top-level names): what an engine eectl installed adds there (key.json) goes. */
  etcDockerEntries: string[];
  /** daemon.json as it was (null: there was none). */
  daemonJson: string | null;
  /** Entries of /etc/docker/certs.d that were there (an operator's trust for other registries). */
  certsD: string[];
  /** certs.d entries eectl added since (the registry's trust): reset removes these, and only these. */
  certsDAdded: string[];
  /** Whether the engine was running: when reset keeps the engine, it starts it again. */
  engineActive: boolean;
}

/** Files only eectl writes: a host that has one was installed by eectl, with or without a record. */
export const EECTL_TRACES = [
  '/etc/eectl',
  APT_SOURCE_FILE,
  APT_KEYRING,
  YUM_REPO_FILE,
  ZYPPER_REPO_FILE,
  API_DROP_IN,
  ENGINE_PROXY_DROP_IN,
  BUNDLES_DIR,
] as const;

/**
 * The read-only probe, run as root with the record's path as $1: `record B64`, `trace PATH`, `group docker`,
 * `etcdocker`, `etc NAME` (in /etc/docker), `daemon B64` and `certsd NAME` lines. The lock directory does not count as a trace (this run
 * may have just made it), nor the default registry storage (often the operator's own mount).
 */
export const RECORD_PROBE_SCRIPT = String.raw`
export LC_ALL=C
[ -f "$1" ] && { printf 'record '; base64 -w0 "$1"; echo; }
for p in ${EECTL_TRACES.join(' ')}; do [ -e "$p" ] && printf 'trace %s\n' "$p"; done
[ -d ${INSTALL_RECORD_DIR} ] && ls -A ${INSTALL_RECORD_DIR} | grep -vx -e "$(basename ${LOCK_DIR})" -e registry | sed 's|^|trace ${INSTALL_RECORD_DIR}/|'
getent group docker >/dev/null 2>&1 && echo 'group docker'
[ -n "$(ls -A /etc/docker 2>/dev/null)" ] && echo 'etcdocker' && ls -A /etc/docker | sed 's/^/etc /'
[ -f ${DAEMON_JSON} ] && { printf 'daemon '; base64 -w0 ${DAEMON_JSON}; echo; }
[ -d ${CERTS_D_DIR} ] && ls -A ${CERTS_D_DIR} | sed 's/^/certsd /'
true
`;

/** What RECORD_PROBE_SCRIPT found on a host. */
export interface RecordProbe {
  /** The record's text when there is one. */
  record: string | undefined;
  traces: string[];
  dockerGroup: boolean;
  etcDocker: boolean;
  etcDockerEntries: string[];
  daemonJson: string | null;
  certsD: string[];
}

/** Parses RECORD_PROBE_SCRIPT's output. */
export function parseRecordProbe(stdout: string): RecordProbe {
  const probe: RecordProbe = {
    record: undefined,
    traces: [],
    dockerGroup: false,
    etcDocker: false,
    etcDockerEntries: [],
    daemonJson: null,
    certsD: [],
  };
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    const [kind, value] = space < 0 ? [line.trim(), ''] : [line.slice(0, space), line.slice(space + 1)];
    if (kind === 'record') probe.record = decode(value.trim());
    else if (kind === 'trace') probe.traces.push(value);
    else if (kind === 'group' && value === 'docker') probe.dockerGroup = true;
    else if (kind === 'etcdocker') probe.etcDocker = true;
    else if (kind === 'etc' && value !== '') probe.etcDockerEntries.push(value);
    else if (kind === 'daemon') probe.daemonJson = decode(value.trim());
    else if (kind === 'certsd' && value !== '') probe.certsD.push(value);
  }
  return probe;
}

/** The record of a host as the probe found it before any change, with the engine packages and service state. */
export function newInstallRecord(
  probe: RecordProbe,
  packages: readonly string[],
  engineActive: boolean,
  now = new Date(),
): InstallRecord {
  return {
    version: 1,
    recordedAt: now.toISOString(),
    packages: [...packages],
    dockerGroup: probe.dockerGroup,
    etcDocker: probe.etcDocker,
    etcDockerEntries: probe.etcDockerEntries,
    daemonJson: probe.daemonJson,
    certsD: probe.certsD,
    certsDAdded: [],
    engineActive,
  };
}

/** The record's text as written on a host. */
export const formatInstallRecord = (record: InstallRecord): string => `${JSON.stringify(record, null, 2)}\n`;

/** Parses a record read from a host; throws with the reason when it is not one. */
export function parseInstallRecord(text: string): InstallRecord {
  const raw = JSON.parse(text) as Partial<InstallRecord>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (
    raw.version !== 1 ||
    !strings(raw.packages) ||
    !strings(raw.certsD) ||
    !strings(raw.certsDAdded) ||
    !strings(raw.etcDockerEntries) ||
    typeof raw.dockerGroup !== 'boolean' ||
    typeof raw.etcDocker !== 'boolean' ||
    typeof raw.engineActive !== 'boolean' ||
    !(raw.daemonJson === null || typeof raw.daemonJson === 'string')
  ) {
    throw new Error('not an install record of this eectl (version 1)');
  }
  return raw as InstallRecord;
}
