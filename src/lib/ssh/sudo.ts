import { EectlError } from '../errors.js';

/** How a host runs commands as root, found once at connect. */
export interface SudoState {
  /** The login user. */
  user: string;
  isRoot: boolean;
  /** `sudo -n true` succeeded (only asked when not root). */
  passwordless: boolean;
  /** What `sudo -n true` said when it failed, for the error message. */
  detail: string;
}

type Probe = (argv: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/** Asks the host who we are (`id -un`, `id -u`) and, when not root, whether `sudo -n` works. */
export async function detectSudo(probe: Probe): Promise<SudoState> {
  const who = await probe(['sh', '-c', 'id -un; id -u']);
  const [user = '?', uid = ''] = who.stdout.trim().split('\n');
  if (who.code === 0 && uid.trim() === '0') return { user, isRoot: true, passwordless: false, detail: '' };
  const sudo = await probe(['sudo', '-n', 'true']);
  const detail = (sudo.stderr.trim() || sudo.stdout.trim()).split('\n').slice(-1)[0] ?? '';
  return { user: user.trim(), isRoot: false, passwordless: sudo.code === 0, detail };
}

/** The argv prefix that runs a command as root: none for root, `sudo -n --` otherwise; ESUDO when neither. */
export function sudoPrefix(state: SudoState, host: string): string[] {
  if (state.isRoot) return [];
  if (state.passwordless) return ['sudo', '-n', '--'];
  throw new EectlError(
    `${host}: a command needs root, but ${state.user} is not root and cannot use sudo without a password` +
      (state.detail ? ` (sudo said: ${state.detail})` : ''),
    {
      code: 'ESUDO',
      kind: 'user',
      host,
      suggestions: [
        `Allow passwordless sudo for ${state.user}: add "${state.user} ALL=(ALL) NOPASSWD:ALL" to a file in /etc/sudoers.d/ on ${host} (visudo -f), or`,
        `log in as root: set ssh.user: root for ${host} in cluster.yaml.`,
      ],
    },
  );
}
