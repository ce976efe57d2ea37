import { confirm, password } from '@inquirer/prompts';

/** Asks on the terminal whether to trust a host key seen for the first time. */
export async function confirmNewHostKey(host: string, fingerprint: string): Promise<boolean> {
  return confirm({
    message: `The host key of ${host} is not known (${fingerprint}). Trust it and record it?`,
    default: false,
  });
}

/** Asks for a secret (key passphrase) without echo. */
export async function askSecret(question: string): Promise<string> {
  return password({ message: question, mask: false });
}

/** Asks before something destructive; `--yes` skips it, and without a terminal the caller refuses instead. */
export async function confirmAction(message: string): Promise<boolean> {
  return confirm({ message, default: false });
}
