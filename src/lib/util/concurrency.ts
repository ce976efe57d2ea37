/** The outcome of one item's work in `mapSettled`: its value or its error, never both. */
export type Settled<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

/**
 * Runs `fn` over `items` with at most `limit` running at once and waits for all of them, whatever fails:
 * per-host work must report every host's outcome, not just the first failure.
 */
export async function mapSettled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<Settled<T, R>[]> {
  const results = new Array<Settled<T, R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      try {
        results[index] = { item, ok: true, value: await fn(item, index) };
      } catch (error) {
        results[index] = { item, ok: false, error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}

/** Like `mapSettled`, but throws the first error (in item order) after every item has finished. */
export async function mapAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const settled = await mapSettled(items, limit, fn);
  const failed = settled.find((s) => !s.ok);
  if (failed && !failed.ok) throw failed.error;
  return settled.map((s) => (s as { value: R }).value);
}
