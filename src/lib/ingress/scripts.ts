import { PROXY_LIVE_CONFIG, PROXY_RUN_DIR, PROXY_STATE_FILE, PROXY_STATS_PORT } from './haproxy-config.js';

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
 * listeners), which finishes its requests, so no connection is refused. Before the signal the servers'
 * addresses are saved (`show servers state` on the read-only stats socket of the loopback) for the new
 * worker to start with (`init-addr last`): no DNS lookup holds a check or a reload, and a route that stays
 * answers from its first request. The next change waits until a new worker answers that socket, so no
 * signal reaches a master that is still reloading; a reload that brings no new worker in 30 s is tried
 * again, and a configuration that fails the check is checked again when it changes (the last good one
 * stays in force meanwhile). SIGTERM becomes HAProxy's soft stop. Tools: a POSIX sh, md5sum, sed, and nc or perl.
 */
export const PROXY_SCRIPT = `set -u
src=${PROXY_RUN_DIR}/haproxy.cfg
live=${PROXY_LIVE_CONFIG}
state=${PROXY_STATE_FILE}
mkdir -p "\${live%/*}"
: > "$state"
# One command to the stats socket: nc where the image has it (busybox, netcat), else perl (perl-base is in
# the Debian images the official one is built on); with neither, reloads are not confirmed and start
# without the saved addresses.
client=nc
if command -v nc > /dev/null 2>&1; then
  stats() { echo "$1" | nc -w 2 127.0.0.1 ${PROXY_STATS_PORT} 2>/dev/null; }
elif command -v perl > /dev/null 2>&1; then
  client=perl
  stats() {
    perl -MIO::Socket::INET -e 'alarm 5; my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => ${PROXY_STATS_PORT}, Timeout => 2) or exit 1; print $s "$ARGV[0]\\n"; print while <$s>;' "$1" 2>/dev/null
  }
else
  client=
  stats() { return 1; }
  echo "eectl-ingress: neither nc nor perl in the image: reloads are not confirmed" >&2
fi
# Waits (at most 30 s, while the master lives) until a worker other than $1 answers the stats socket.
serving() {
  [ -n "$client" ] || { sleep 2; return 0; }
  i=0
  while [ $i -lt 30 ] && kill -0 "$master" 2>/dev/null; do
    w=$(stats 'show info' | sed -n 's/^Pid: //p')
    [ -n "$w" ] && [ "$w" != "$1" ] && return 0
    i=$((i + 1))
    sleep 1
  done
  return 1
}
seen=
if [ -f "$src" ] && haproxy -c -q -f "$src"; then
  seen=$(md5sum < "$src")
  cp "$src" "$live"
else
  cp ${SCRIPT_DIR}/fallback.cfg "$live"
fi
haproxy -W -db -f "$live" &
master=$!
trap 'kill -USR1 "$master"' TERM INT
serving "" || echo "eectl-ingress: no HAProxy worker answers yet" >&2
refused=
while kill -0 "$master" 2>/dev/null; do
  sleep 1 &
  wait $! || true
  now=$(md5sum < "$src" 2>/dev/null || true)
  [ "$now" = "$seen" ] && continue
  if ! { [ -f "$src" ] && haproxy -c -q -f "$src"; }; then
    [ "$now" = "$refused" ] || echo "eectl-ingress: the new configuration does not pass haproxy -c: the last good one stays in force" >&2
    refused=$now
    continue
  fi
  old=$(stats 'show info' | sed -n 's/^Pid: //p')
  if stats 'show servers state' > "$state.new"; then mv "$state.new" "$state"; else : > "$state"; fi
  cp "$src" "$live.new" && mv "$live.new" "$live" || continue
  kill -USR2 "$master" || break
  if serving "$old"; then
    seen=$now
    echo "eectl-ingress: reloaded"
  else
    echo "eectl-ingress: no new HAProxy worker 30 s after the reload: trying again" >&2
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
