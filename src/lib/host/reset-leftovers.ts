import {
  EECTL_PATHS,
  ENGINE_RUNTIME_PATHS,
  LOCK_DIR,
  API_DROP_IN,
  ENGINE_PROXY_DROP_IN,
  AUTHZ_UNIT_NAME,
  PLUGIN_SOCKET,
  PLUGIN_SPEC,
  TOKEN_UNIT_NAME,
  NODE_RUN_DIR,
  NODE_TMPFILES,
  WATCHER_UNIT_NAME,
  RELAY_UNIT_NAME,
  GATE_UNIT_NAME,
  ENGINE_DATA_PATHS,
} from '../host-layout.js';
import { APT_AUTH_FILE, APT_KEYRING, APT_SOURCE_FILE } from './os/apt.js';
import { MIRROR_KEY_APT, MIRROR_KEY_RPM } from './os/source.js';
import { DNF_PASSWORD_FILES, YUM_REPO_FILE } from './os/dnf.js';
import { ZYPPER_CREDENTIALS_FILE, ZYPPER_REPO_FILE } from './os/zypper.js';
import { APT_PROXY_AUTH, APT_PROXY_CONF } from './os/proxy.js';

/**
 * What an engine installed by eectl leaves on a host, beyond its packages, and the shell that finds and
 * removes it. The probe and the removal share these fragments, so a reset removes exactly what a dry run
 * listed, and a second reset finds nothing.
 */

/** containerd creates its CNI directory at start; it is a leftover only while nothing else put files in it. */
export const CNI_DIR = '/etc/cni';

/** The directory of eectl's systemd drop-ins for the engine (API, proxy): removed with them when nothing else is in it. */
export const DROP_IN_DIR = API_DROP_IN.slice(0, API_DROP_IN.lastIndexOf('/'));
const ENGINE_DROP_INS = [API_DROP_IN, ENGINE_PROXY_DROP_IN] as const;
const DROP_IN_NAMES = ENGINE_DROP_INS.map((p) => `-e ${p.slice(DROP_IN_DIR.length + 1)}`).join(' ');

/** eectl's services on the managers: the authorization plugin, the registry's token service, the ingress watcher. */
export const MANAGER_SERVICE_UNITS = [AUTHZ_UNIT_NAME, TOKEN_UNIT_NAME, WATCHER_UNIT_NAME] as const;
/** eectl's services on the registry hosts: the webhook relay, the gate (registry.immutable). */
export const REGISTRY_SERVICE_UNITS = [RELAY_UNIT_NAME, GATE_UNIT_NAME] as const;
/** Every service of eectl's, wherever it runs (reset stops and removes them all). */
export const EECTL_SERVICE_UNITS = [...MANAGER_SERVICE_UNITS, ...REGISTRY_SERVICE_UNITS] as const;
const SYSTEMD_DIR = '/etc/systemd/system';

/**
 * What those services leave: their unit files and the links `systemctl enable` made, their runtime and
 * modules (/opt/eectl), the plugin's spec file and socket directory, the ingress's tmpfiles line and folder.
 */
export const EECTL_SERVICE_PATHS = [
  ...EECTL_SERVICE_UNITS.map((u) => `${SYSTEMD_DIR}/multi-user.target.wants/${u}`),
  ...EECTL_SERVICE_UNITS.map((u) => `${SYSTEMD_DIR}/${u}`),
  '/opt/eectl',
  PLUGIN_SPEC,
  PLUGIN_SOCKET.slice(0, PLUGIN_SOCKET.lastIndexOf('/')),
  NODE_TMPFILES,
  NODE_RUN_DIR,
] as const;

/** Whether removing this path changes systemd's units (a daemon-reload must follow). */
export const isSystemdUnitPath = (p: string): boolean => p.startsWith(`${SYSTEMD_DIR}/`);

/** Paths a reset removes (when present), in the order it removes them. */
export const RESET_PATHS = [
  ...ENGINE_DATA_PATHS,
  ...EECTL_PATHS,
  ...EECTL_SERVICE_PATHS,
  ...ENGINE_RUNTIME_PATHS,
] as const;

/** Every package source file any configurer writes; the configurer's own step removes those of its OS. */
export const SOURCE_FILES = [
  APT_SOURCE_FILE,
  APT_KEYRING,
  APT_AUTH_FILE,
  MIRROR_KEY_APT,
  YUM_REPO_FILE,
  MIRROR_KEY_RPM,
  ...DNF_PASSWORD_FILES,
  ZYPPER_REPO_FILE,
  ZYPPER_CREDENTIALS_FILE,
  APT_PROXY_CONF,
  APT_PROXY_AUTH,
] as const;

/** The directory this run's lock lives in on the lock host: kept until the lock is released. */
export const KEPT_WHILE_LOCKED = LOCK_DIR;

/**
 * Prints one `iptables -t T -D|-F|-X …` command per line that removes the engine's chains (DOCKER,
 * DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2, DOCKER-INGRESS, …) and the rules of other chains that jump to
 * them or name its bridges. Chains are matched as DOCKER or DOCKER-…: DOCKER_OUTPUT and DOCKER_POSTROUTING
 * (underscore) belong to an outer engine's embedded DNS when the host is itself a container, and stay.
 * The rules are copied from iptables-save, whose output iptables reads back.
 */
const FIREWALL_COMMANDS = String.raw`
engine_firewall() {
  for ipt in iptables ip6tables; do
    command -v "$ipt-save" >/dev/null 2>&1 || continue
    for t in filter nat mangle raw; do
      "$ipt-save" -t "$t" 2>/dev/null | awk -v ipt="$ipt" -v t="$t" '
        /^:DOCKER(-[A-Z0-9-]+)? / { sub(/^:/, ""); print ipt " -t " t " -F " $1; chains = chains " " $1; next }
        /^-A / && $2 !~ /^DOCKER(-|$)/ && ($0 ~ / -j DOCKER(-[A-Z0-9-]+)?( |$)/ || $0 ~ / -[io] (docker0|docker_gwbridge|br-[0-9a-f]+)( |$)/) {
          sub(/^-A /, ""); print ipt " -t " t " -D " $0
        }
        END { n = split(chains, c, " "); for (i = 1; i <= n; i++) print ipt " -t " t " -X " c[i] }'
    done
  done
}
`;

/**
 * present PATH: whether PATH holds something a reset removes. Mount points at or below PATH are the
 * operator's (a disk for /var/lib/docker, shared registry storage) and cannot be removed: then PATH is
 * emptied around them, and only what is left around them counts. On the lock host, the held lock ($KEEP)
 * does not count.
 */
const PRESENT = String.raw`
[ -n "$KEEP" ] || KEEP=/nonexistent/eectl-keep
KEEP_PARENT=$(dirname "$KEEP")
has_mounts() { awk -v p="$1" '$2 == p || index($2, p "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; }
# The first entry below $1 a reset would remove: not the lock, not a mount point or a directory on the way to one.
removable_below() {
  find "$1" -xdev -mindepth 1 ! -path "$KEEP" ! -path "$KEEP/*" 2>/dev/null | awk -v p="$1" '
    NR == FNR { if (index($2, p "/") == 1) for (m = $2; m != p; sub(/\/[^\/]*$/, "", m)) kept[m] = 1; next }
    !($0 in kept) { print; exit }' /proc/mounts -
}
present() {
  [ -e "$1" ] || [ -L "$1" ] || return 1
  if has_mounts "$1" || [ "$KEEP_PARENT" = "$1" ]; then [ -n "$(removable_below "$1")" ]; return; fi
  return 0
}
`;

/** The engine's bridges: the default one, the swarm's gateway bridge, and user-defined bridge networks. */
const ENGINE_LINKS = String.raw`
engine_links() { ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^(docker0|docker_gwbridge|br-[0-9a-f]{12})$'; }
`;

/**
 * The read-only probe, run as root: `path P`, `source F`, `link L`, `firewall CMD` and `group docker` lines
 * for what is there. Arguments: the kept lock directory (or ""), then the candidate paths.
 */
export const PROBE_SCRIPT = String.raw`
export LC_ALL=C
KEEP="$1"; shift
${PRESENT}${FIREWALL_COMMANDS}${ENGINE_LINKS}
for p in "$@"; do present "$p" && printf 'path %s\n' "$p"; done
if [ -d ${DROP_IN_DIR} ] && [ -z "$(ls -A ${DROP_IN_DIR} | grep -vx ${DROP_IN_NAMES})" ]; then
  echo 'path ${DROP_IN_DIR}'
else for f in ${ENGINE_DROP_INS.join(' ')}; do [ -e "$f" ] && printf 'path %s\n' "$f"; done; fi
for f in ${SOURCE_FILES.join(' ')}; do [ -e "$f" ] && printf 'source %s\n' "$f"; done
engine_links | sed 's/^/link /'
engine_firewall | sed 's/^/firewall /'
getent group docker >/dev/null 2>&1 && echo 'group docker'
[ -d ${CNI_DIR} ] && [ -z "$(find ${CNI_DIR} ! -type d | head -n 1)" ] && echo 'path ${CNI_DIR}'
true
`;

/**
 * Removes the paths given after the kept lock directory (or ""). rm stays on each path's filesystem, so it
 * never follows a bind mount into the host's own files; a path that holds mount points (or the lock) is
 * emptied around them. Anything a reset would remove that is still there afterwards is a failure.
 */
export const REMOVE_PATHS_SCRIPT = String.raw`
KEEP="$1"; shift
${PRESENT}
is_mount() { awk -v p="$1" '$2 == p { found = 1 } END { exit !found }' /proc/mounts; }
# Removes what is in $1 but the lock and mount points, descending only into directories on the way to a
# mount point: rm -rf --one-file-system on a mount point itself would empty it (it stays on the argument's
# filesystem, which is the mounted one).
empty_around_mounts() {
  for c in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$c" ] || [ -L "$c" ] || continue
    if [ "$c" = "$KEEP" ] || is_mount "$c"; then continue; fi
    if has_mounts "$c"; then empty_around_mounts "$c"; else rm -rf --one-file-system "$c"; fi
  done
}
status=0
for p in "$@"; do
  if has_mounts "$p" || [ "$KEEP_PARENT" = "$p" ]; then empty_around_mounts "$p"; else rm -rf --one-file-system "$p"; fi
  if present "$p"; then echo "could not remove all of $p" >&2; status=1; fi
done
exit $status
`;

/** Deletes the engine's bridges that are still there. */
export const REMOVE_LINKS_SCRIPT = `${ENGINE_LINKS}engine_links | while read -r l; do ip link delete "$l" || exit 1; done`;

/** Runs the firewall commands as they are now (not as probed: the engine was stopped in between). */
export const REMOVE_FIREWALL_SCRIPT = `${FIREWALL_COMMANDS}cmds=$(engine_firewall); [ -z "$cmds" ] || printf '%s\\n' "$cmds" | sh -e`;
