import type { Host } from '../host/host.js';
import type { FileOnHost } from './plan.js';

/**
 * Reads, in one round trip per host (as root), what a host has at each destination of its files — the
 * SHA-256, mode and owner of a regular file, what else is there, and the destination's directory with its
 * symbolic links resolved — and whether the users and groups the files should belong to exist. The
 * destinations and names reach the script as arguments, never as its text.
 */
const STATE_SCRIPT = `
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  p=$1; shift
  d=\${p%/*}; [ -n "$d" ] || d=/
  rest=
  while [ ! -d "$d" ]; do rest="/\${d##*/}$rest"; d=\${d%/*}; [ -n "$d" ] || d=/; done
  if real=$(cd -P -- "$d" 2>/dev/null && pwd -P); then real="\${real%/}$rest"; [ -n "$real" ] || real=/; else real=; fi
  if [ -L "$p" ]; then printf 'other\\tsymbolic link\\t-\\t%s\\n' "$real"
  elif [ -f "$p" ]; then
    sum=$(sha256sum < "$p") || exit 1
    printf 'file\\t%s\\t%s\\t%s\\n' "\${sum%% *}" "$(stat -c '%a %U %u %G %g' -- "$p")" "$real"
  elif [ -e "$p" ]; then printf 'other\\t%s\\t-\\t%s\\n' "$(stat -c %F -- "$p")" "$real"
  else printf 'missing\\t-\\t-\\t%s\\n' "$real"; fi
done
[ "$#" -gt 0 ] && shift
for n; do
  case $n in
    u:*) id -u "\${n#u:}" >/dev/null 2>&1 && r=yes || r=no ;;
    *) if command -v getent >/dev/null 2>&1; then getent group "\${n#g:}" >/dev/null && r=yes || r=no
       else cut -d: -f1 /etc/group | grep -qxF -- "\${n#g:}" && r=yes || r=no; fi ;;
  esac
  printf 'owner\\t%s\\t%s\\n' "$n" "$r"
done
`;

/** What the script said: one state per destination (in order), and the names that do not exist. */
export interface HostFilesState {
  files: FileOnHost[];
  /** `user NAME` / `group NAME` for each name the host does not know. */
  unknownOwners: string[];
}

/** The argv of the read: destinations, `--`, then `u:USER` / `g:GROUP` for every named (not numeric) owner. */
export function stateArgv(destinations: readonly string[], owners: readonly string[]): string[] {
  return ['sh', '-c', STATE_SCRIPT, 'eectl-files', ...destinations, '--', ...owners];
}

/** Reads the state of `destinations` and checks `owners` (`u:NAME`, `g:NAME`) on the host. */
export async function readFilesState(
  host: Host,
  destinations: readonly string[],
  owners: readonly string[],
): Promise<HostFilesState> {
  const r = await host.sudo(stateArgv(destinations, owners), { timeoutMs: 120_000 });
  return parseFilesState(r.stdout, destinations.length);
}

/** Parses the script's output; throws when it does not hold one line per destination. */
export function parseFilesState(stdout: string, count: number): HostFilesState {
  const files: FileOnHost[] = [];
  const unknownOwners: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [kind, a = '', b = '', ...dir] = line.split('\t');
    const realDir = dir.join('\t') || undefined;
    if (kind === 'missing') files.push({ kind, realDir });
    else if (kind === 'other') files.push({ kind, what: a, realDir });
    else if (kind === 'file') {
      const [mode = '', user = '', uid = '', group = '', gid = ''] = b.split(' ');
      if (!/^[0-9a-f]{64}$/.test(a) || !/^[0-7]{1,4}$/.test(mode))
        throw new Error(`unexpected file state: ${line}`);
      files.push({ kind, sha256: a, mode: Number.parseInt(mode, 8), user, uid, group, gid, realDir });
    } else if (kind === 'owner') {
      if (b !== 'yes') unknownOwners.push(`${a.startsWith('u:') ? 'user' : 'group'} ${a.slice(2)}`);
    } else throw new Error(`unexpected line in the files' state: ${line}`);
  }
  if (files.length !== count)
    throw new Error(`the files' state has ${files.length} entries for ${count} destinations`);
  return { files, unknownOwners };
}
