/**
 * Waits until `check` holds, asking once a second, and fails naming `what` after `timeoutMs`: a bounded
 * wait for a state, never a sleep for a moment.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
