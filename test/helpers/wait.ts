/**
 * Poll `check` until it holds, or fail naming `what` after `timeoutMs`. For conditions another
 * process or a timer brings about (a lease taken over, a version picked up); never a timing assertion.
 */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
