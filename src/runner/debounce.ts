/**
 * Coalesces bursts of calls into one run after `waitMs` of quiet, but never later than `maxWaitMs`
 * after the first call of a burst, so a steady stream of events still produces updates.
 * Runs never overlap: a call during a run schedules one more run after it.
 */
export function debounce(
  fn: () => Promise<void> | void,
  waitMs: number,
  maxWaitMs: number,
): { trigger(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    timer = undefined;
    firstAt = 0;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        trigger();
      }
    }
  };
  const trigger = (): void => {
    const now = Date.now();
    if (firstAt === 0) firstAt = now;
    clearTimeout(timer);
    const delay = Math.max(0, Math.min(waitMs, firstAt + maxWaitMs - now));
    timer = setTimeout(() => void run(), delay);
  };
  return { trigger, cancel: () => clearTimeout(timer) };
}
