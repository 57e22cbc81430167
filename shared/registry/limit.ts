// A concurrency bound (p-limit, cut down): at most `n` of the functions run at once.

export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

export function createLimit(n: number): Limit {
  const max = Math.max(1, Math.floor(n));
  const waiting: (() => void)[] = [];
  let running = 0;
  const next = (): void => {
    if (running >= max) return;
    const go = waiting.shift();
    if (go === undefined) return;
    running++;
    go();
  };
  return <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        fn().then(resolve, reject).finally(() => {
          running--;
          next();
        });
      });
      next();
    });
}
