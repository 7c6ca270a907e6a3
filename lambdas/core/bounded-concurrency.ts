/**
 * Runs `work` over `items` with at most `limit` in flight, in order of start. The first failure
 * stops new starts and is rethrown once the running ones settle, so a caller never returns while
 * a copy it started is still writing.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  if (failure) throw failure.error;
}
