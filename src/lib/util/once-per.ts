/**
 * `compute` run once per key object: later calls with the same key get the first call's value (a promise is
 * shared, not started again). Keys are held weakly, so a value goes with the run (its context) or the list
 * it was computed from. What a run reads once however many phases and hosts ask (the access plan, the
 * directory, each uploaded file's bytes) is memoised this way, not with a cache field on the context.
 */
export function oncePer<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const values = new WeakMap<K, T>();
  return (key) => {
    if (values.has(key)) return values.get(key) as T;
    const value = compute(key);
    values.set(key, value);
    return value;
  };
}
