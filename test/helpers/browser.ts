import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's package (`apt-get install chromium`, which
 * `.ci/run` does), driven by playwright-core. The flags keep it off the network it cannot reach.
 * Suites call `browserAvailable()` first and skip with a visible notice when Chromium is missing
 * on a dev machine; under UNDERSTUDY_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function browserAvailable(suite: string): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.UNDERSTUDY_REQUIRE_BROWSER === '1') throw new Error(`${suite}: Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  console.warn(`[skip] ${suite}: Chromium not found at ${CHROMIUM}; browser tests skipped (apt-get install chromium)`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** axe-core's serious and critical violations on the page as it is now (an empty list passes). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated rather than added as a <script>: our pages' CSP (script-src 'self') refuses inline scripts.
  await page.evaluate(source);
  // A string, not a function: the tests compile without the DOM library.
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Where README screenshots go: docs/screenshots/<name>.png, written by the browser tests. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(__dirname, '..', '..', 'docs', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/** Whether the page scrolls sideways (the 390 px check). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
}
