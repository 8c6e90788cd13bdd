/**
 * Runs `attempt` with an AbortSignal that fires after `ms`, and answers `onTimeout` then even if the
 * attempt ignores its signal (as some fetch doubles and proxies do): an outbound call never holds a
 * request or the deliverer longer than its limit.
 */
export async function withTimeLimit<T>(ms: number, onTimeout: T, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(onTimeout);
    }, ms);
  });
  try {
    return await Promise.race([attempt(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
