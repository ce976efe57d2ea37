import { PROXY_LIVE_CONFIG, PROXY_RUN_DIR } from './haproxy-config.js';

/**
 * The two fixed shell scripts of the ingress services, given to them as swarm configs (no value of the
 * file, a label or a host is in their text: the names they read come from files the watcher wrote from
 * grammar-checked labels). Both run with a POSIX sh: busybox in the sandbox image, dash in the official one.
 */

/** Where the scripts and the fallback configuration are mounted in the tasks. */
export const SCRIPT_DIR = '/etc/eectl-ingress';
/** The proxy task's folder of the node: PROXY_RUN_DIR in the proxy (read-only), SYNC_OUT in the sync task. */
export const SYNC_OUT = '/out';

/**
 * The proxy: HAProxy in master-worker mode on a configuration copied to a stable path; every second the
 * node's configuration is compared, and a new one that passes `haproxy -c` is put in place and the master
 * told to reload (SIGUSR2): the new worker takes over the listening sockets from the old one (expose-fd
 * listeners), which finishes its requests, so no connection is refused. A configuration that fails the
 * check is not loaded: the last good one stays in force. SIGTERM becomes HAProxy's soft stop.
 */
export const PROXY_SCRIPT = `set -u
src=${PROXY_RUN_DIR}/haproxy.cfg
live=${PROXY_LIVE_CONFIG}
mkdir -p "\${live%/*}"
if [ -f "$src" ] && haproxy -c -q -f "$src"; then cp "$src" "$live"; else cp ${SCRIPT_DIR}/fallback.cfg "$live"; fi
seen=$(md5sum < "$src" 2>/dev/null || true)
haproxy -W -db -f "$live" &
master=$!
trap 'kill -USR1 "$master"' TERM INT
while kill -0 "$master" 2>/dev/null; do
  sleep 1 &
  wait $! || true
  now=$(md5sum < "$src" 2>/dev/null || true)
  [ "$now" = "$seen" ] && continue
  seen=$now
  if [ -f "$src" ] && haproxy -c -q -f "$src"; then
    cp "$src" "$live.new" && mv "$live.new" "$live" && kill -USR2 "$master" && echo "eectl-ingress: reloading"
  else
    echo "eectl-ingress: the new configuration does not pass haproxy -c: the last good one stays in force" >&2
  fi
done
wait "$master"
`;

/**
 * The sync task: writes the configuration and certificates it was given (swarm configs and secrets) into
 * the node's ingress folder, each file replaced whole (rename), the configuration last, so the proxy never
 * reads a half-written set; then idles. Rolling the sync service is how a new configuration reaches the
 * proxies, without touching them.
 */
export const SYNC_SCRIPT = `set -eu
umask 077
mkdir -p ${SYNC_OUT}/certs
while read -r name cert key; do
  case "$name" in '' | '#'*) continue ;; esac
  cat "/run/secrets/$cert" "/run/secrets/$key" > "${SYNC_OUT}/certs/.$name.tmp"
  mv "${SYNC_OUT}/certs/.$name.tmp" "${SYNC_OUT}/certs/$name"
done < ${SCRIPT_DIR}/certs.txt
cp ${SCRIPT_DIR}/crt-list.txt ${SYNC_OUT}/.crt-list.tmp && mv ${SYNC_OUT}/.crt-list.tmp ${SYNC_OUT}/crt-list.txt
cp ${SCRIPT_DIR}/haproxy.cfg ${SYNC_OUT}/.haproxy.cfg.tmp && mv ${SYNC_OUT}/.haproxy.cfg.tmp ${SYNC_OUT}/haproxy.cfg
echo "eectl-ingress: configuration written"
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $! || true; done
`;
