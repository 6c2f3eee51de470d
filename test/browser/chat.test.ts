import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import type { CliIo } from '../../src/cli/io';
import { silentLogger } from '../../src/log';
import { serve, type ServeHandle } from '../../src/serve';
import { axeViolations, browserAvailable, horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { until } from '../helpers/wait';
import { ensureWebBundle } from '../helpers/web-bundle';

// The chat page `npm start` opens, in headless Chromium against the real server (`serve`, the demo
// avatars, the built bundle): streamed answers, citations opened in context, feedback into the
// store, a failed request retried, hostile corpus text shown as text, 390 px, axe, dark, Chinese.
// The README screenshots (docs/screenshots/chat-*.png) come from this run.

const REPO = path.resolve(__dirname, '../..');
const ROLLBACK_Q = 'How do I roll back the billing gateway?';
const HOSTILE = [
  '# Widget install',
  '',
  'To install the widget, run the installer from the ops box.',
  'Careful: <script>window.__pwned = 1</script> and <img src="x" onerror="window.__pwned = 2"> are in this page.',
  '',
  '```sh',
  'widget install --force',
  '```',
  '',
].join('\n');

/** A channel as distillation collects it, with a thread and Slack permalinks. */
const OPS_CHAT = {
  format: 'understudy-chat/1',
  platform: 'slack',
  channel: { id: 'C1', name: 'ops', private: false },
  messages: [
    { id: '1762826400.000100', at: 1762826400000, userId: 'U2', userName: 'Liu Yang', text: 'Which box do we run the gateway failover drill from?', permalink: 'https://acme.slack.com/archives/C1/p1762826400000100' },
    { id: '1762826500.000200', at: 1762826500000, userId: 'U1', userName: 'Test Person planted', text: 'Run the gateway failover drill from the bastion in zone B, never from a laptop.', threadId: '1762826400.000100', permalink: 'https://acme.slack.com/archives/C1/p1762826500000200' },
  ],
};

const run = browserAvailable('web chat') ? describe : describe.skip;

function quietIo(): CliIo {
  const input = new PassThrough();
  input.end();
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: input, env: {}, cwd: '/', isTTY: false };
}

run('web chat in a real browser', () => {
  jest.setTimeout(90_000);
  let rt: Runtime;
  let handle: ServeHandle;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    await ensureWebBundle();
    const root = tmpDir('web-chat-');
    fs.cpSync(path.join(REPO, 'avatars'), path.join(root, 'avatars'), { recursive: true });
    makeAvatar(root, 'planted', { 'widget.md': HOSTILE, 'chat/ops.json': JSON.stringify(OPS_CHAT) });
    makeAvatar(root, 'resting', { 'notes.md': '# Notes\n\nNothing to see.\n' }, 'status: paused\n');
    // Every test asks as the one playground user: the default 10 questions a minute would refuse some.
    rt = createRuntime({ PORT: '0', UNDERSTUDY_RATE_USER_PER_MIN: '1000' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    handle = await serve(rt, quietIo(), { interactive: false });
    base = `http://127.0.0.1:${handle.port}`;
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await handle?.close();
    rt?.close();
  });

  /** A fresh browser profile on the chat page, recording how the last answer's state changes and any CSP refusal. */
  async function open(options: BrowserContextOptions = {}): Promise<{ page: Page; cspErrors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, locale: 'en-US', ...options });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    // A string, not a function: the tests compile without the DOM library.
    await page.addInitScript(`
      window.__states = [];
      new MutationObserver(() => {
        const all = document.querySelectorAll('.msg.avatar');
        const last = all[all.length - 1];
        const state = last && ['thinking', 'streaming', 'done', 'error'].find((s) => last.classList.contains(s));
        if (state && window.__states[window.__states.length - 1] !== state) window.__states.push(state);
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    `);
    await page.goto(`${base}/`);
    await page.waitForSelector('.avatar-item', { state: 'attached' });
    return { page, cspErrors };
  }

  async function pick(page: Page, slug: string): Promise<void> {
    const mobile = (page.viewportSize()?.width ?? 1280) < 860;
    if (mobile) await page.locator('button[aria-controls=sidebar]').click();
    await page.locator('.avatar-item', { hasText: slug === 'lao-zhang' ? /Lao Zhang|张建国/ : slug }).first().click();
  }

  /** Ask and wait until the answer (or its error) is there; returns the answer's element. */
  async function ask(page: Page, question: string) {
    const before = await page.locator('.msg.avatar').count();
    await page.getByRole('textbox', { name: /question|问题/i }).fill(question);
    await page.keyboard.press('Enter');
    const answer = page.locator('.msg.avatar').nth(before);
    await answer.and(page.locator('.done, .error')).waitFor({ timeout: 30_000 });
    return answer;
  }

  it('streams an answer in (thinking, then the text being written, then the answer) with its label, citations and code copy button', async () => {
    const { page, cspErrors } = await open({ permissions: ['clipboard-read', 'clipboard-write'] });
    await pick(page, 'lao-zhang');
    await page.waitForSelector('[role=note]');
    expect(await page.locator('[role=note]').innerText()).toMatch(/Digital avatar of Lao Zhang \(not the person\)[\s\S]*I am not Lao Zhang/);
    const answer = await ask(page, ROLLBACK_Q);
    const states = (await page.evaluate('window.__states')) as string[];
    expect(states[0]).toBe('thinking');
    expect(states).toContain('streaming');
    expect(states.indexOf('streaming')).toBeLessThan(states.indexOf('done'));
    expect(states.at(-1)).toBe('done');
    await expect(answer.locator('.answer-label').innerText()).resolves.toMatch(/digital avatar of former employee Lao Zhang/i);
    await expect(answer.locator('.badge').allInnerTexts()).resolves.toContain('Offline mode: quoting the sources, no language model');
    expect(await answer.locator('.chip').count()).toBeGreaterThan(0);
    // Copy puts the code block's text on the clipboard.
    // (By class: a locator naming the text "Copy" would move on to the next button once this one says "Copied".)
    const copy = answer.locator('.code-block .copy').first();
    expect(await copy.innerText()).toBe('Copy');
    await copy.click();
    await until(async () => (await copy.innerText()) === 'Copied', 'the Copy button to say Copied', 5_000);
    expect(await page.evaluate('navigator.clipboard.readText()')).toMatch(/^deployctl rollback billing-gateway/);
    // Markdown is rendered, not shown raw.
    expect(await answer.locator('.markdown strong').count()).toBeGreaterThan(0);
    expect(await answer.locator('.markdown').innerText()).not.toMatch(/\*\*|```/);
    // The conversation is listed, and kept across a reload.
    await expect(page.locator('.conv-item').first().innerText()).resolves.toBe(ROLLBACK_Q);
    await screenshot(page, 'chat-desktop');
    await page.reload();
    await page.waitForSelector('.msg.avatar.done');
    expect(await page.locator('.msg.user').first().innerText()).toContain(ROLLBACK_Q);
    expect(cspErrors).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('shows every answer of a /meeting: each avatar labelled with its citations, then the synthesis', async () => {
    const { page } = await open();
    await pick(page, 'lao-zhang');
    await page.getByRole('textbox', { name: 'Your question' }).fill('/meeting @lao-zhang-avatar @lin-xiaoyu-avatar How do we roll back billing-gateway when a release goes wrong?');
    await page.keyboard.press('Enter');
    const synthesis = page.locator('.msg.notice', { hasText: /Moderator's synthesis:/ });
    await synthesis.waitFor({ timeout: 30_000 });
    const answers = page.locator('.msg.avatar.done');
    expect(await answers.count()).toBe(2);
    const labels = (await answers.locator('.answer-label').allInnerTexts()).join('\n');
    expect(labels).toMatch(/Lao Zhang/);
    expect(labels).toMatch(/Lin Xiaoyu|Sarah Lin/);
    for (let i = 0; i < 2; i++) expect(await answers.nth(i).locator('.chip').count()).toBeGreaterThan(0);
    // In order: the meeting's header, the two answers, the synthesis last; the composer free again.
    const order = await page.evaluate(`[...document.querySelectorAll('.messages > li')].map((e) => e.className)`);
    expect((order as string[]).slice(-3)).toEqual(['msg avatar done', 'msg avatar done', 'msg notice']);
    await page.getByRole('textbox', { name: 'Your question' }).fill('thanks');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(false);
    await page.context().close();
  });

  it('opens a citation beside the answer: the passage highlighted in its document', async () => {
    const { page } = await open();
    await pick(page, 'lao-zhang');
    const answer = await ask(page, ROLLBACK_Q);
    const chip = answer.locator('.chip').first();
    const name = await chip.locator('.chip-name').innerText();
    await chip.click();
    const panel = page.getByRole('complementary', { name: new RegExp(name.replace(/[….]+$/, '').slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
    await panel.waitFor();
    await panel.locator('.doc li.hl').first().waitFor();
    expect(await panel.locator('.doc li.hl mark').count()).toBeGreaterThan(0);
    expect(await panel.locator('code').first().innerText()).toMatch(/\.md$/);
    // Focus moves to the panel; Escape closes it.
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('passage-title');
    await screenshot(page, 'chat-citation');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await page.context().close();
  });

  it('records 👍 and "not how he\'d say it" through the core feedback action', async () => {
    const { page } = await open();
    await pick(page, 'lao-zhang');
    const answer = await ask(page, ROLLBACK_Q);
    await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
    await expect(answer.locator('.feedback-done').innerText()).resolves.toMatch(/Thanks, noted/);
    const second = await ask(page, 'And what if the schema changed?');
    await second.getByRole('button', { name: "Not how he'd say it" }).click();
    await second.getByRole('textbox', { name: 'How would they have said it?' }).fill('Roll back first. Schema changes are always expand-then-contract.');
    await second.getByRole('button', { name: 'Send correction' }).click();
    await expect(second.locator('.feedback-done').innerText()).resolves.toMatch(/review your correction/);
    const stored = await rt.service.store.listFeedback('lao-zhang');
    expect(stored.map((f) => [f.kind, f.userId])).toEqual(expect.arrayContaining([['up', 'playground:local'], ['correction', 'playground:local']]));
    expect(stored.find((f) => f.kind === 'correction')?.text).toMatch(/expand-then-contract/);
    await page.context().close();
  });

  it('shows a failed request as an error with Retry, and Retry then answers', async () => {
    const { page } = await open();
    await pick(page, 'lao-zhang');
    let failed = 0;
    await page.route('**/playground/api/ask', async (route) => {
      if (failed++ === 0) await route.abort('internetdisconnected');
      else await route.continue();
    });
    const answer = await ask(page, ROLLBACK_Q);
    await expect(answer.getAttribute('role')).resolves.toBe('alert');
    await expect(answer.innerText()).resolves.toMatch(/Could not reach the server/);
    await answer.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.msg.avatar.done').first().waitFor();
    expect(await page.locator('.msg.avatar.error').count()).toBe(0);
    expect(failed).toBe(2);
    await page.context().close();
  });

  it('shows a corpus <script> and <img onerror> as text, never as markup', async () => {
    const { page, cspErrors } = await open();
    await pick(page, 'planted');
    const answer = await ask(page, 'How do I install the widget?');
    const text = await answer.locator('.markdown').innerText();
    expect(text).toContain('<script>window.__pwned = 1</script>');
    expect(text).toMatch(/<img src="x" onerror=/);
    expect(await page.locator('.messages script, .messages img, .messages [onerror]').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    // Also in the citation panel.
    await answer.locator('.chip').first().click();
    await page.locator('.passage .doc li.hl').first().waitFor();
    expect(await page.locator('.passage').innerText()).toContain('<script>window.__pwned = 1</script>');
    expect(await page.locator('.passage script, .passage img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(cspErrors).toEqual([]);
    await page.context().close();
  });

  it('opens a chat citation: the message in its thread, with a link to the original', async () => {
    const { page } = await open();
    await pick(page, 'planted');
    const answer = await ask(page, 'Where do we run the gateway failover drill from?');
    await answer.locator('.chip', { hasText: '#ops' }).first().click();
    const panel = page.locator('.passage');
    await panel.locator('.thread mark').waitFor();
    // Whichever of the two was cited, the panel shows the thread, the cited one highlighted.
    const thread = await panel.locator('.thread').innerText();
    expect(thread).toMatch(/Which box do we run the gateway failover drill from\?[\s\S]*bastion in zone B/);
    expect(await panel.locator('.thread mark').count()).toBe(1);
    const link = panel.getByRole('link', { name: /Open the original/ });
    expect(await link.getAttribute('href')).toMatch(/^https:\/\/acme\.slack\.com\/archives\/C1\/p(1762826400000100|1762826500000200)$/);
    expect(await link.getAttribute('rel')).toMatch(/noopener/);
    await page.context().close();
  });

  it('fits 390 px: no sideways scrolling, and the message list scrolls instead of the page', async () => {
    const { page } = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await pick(page, 'lao-zhang');
    await ask(page, ROLLBACK_Q);
    await ask(page, 'What do you watch during the invoice v2 cutover?');
    expect(await horizontalOverflow(page)).toBe(0);
    const sizes = (await page.evaluate(
      "({ page: document.scrollingElement.scrollHeight, view: window.innerHeight, list: document.querySelector('.messages').scrollHeight, listView: document.querySelector('.messages').clientHeight })",
    )) as { page: number; view: number; list: number; listView: number };
    expect(sizes.page).toBeLessThanOrEqual(sizes.view);
    expect(sizes.list).toBeGreaterThan(sizes.listView);
    await screenshot(page, 'chat-mobile');
    // The citation panel covers the screen and still does not overflow.
    await page.locator('.chip').first().click();
    await page.locator('.passage .doc li.hl').first().waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('says when the sources hold nothing on a question, and starts a new conversation on request', async () => {
    const { page } = await open();
    await pick(page, 'lao-zhang');
    await ask(page, ROLLBACK_Q);
    await page.locator('.chat-head').getByRole('button', { name: /New conversation/ }).click();
    await page.locator('.empty').waitFor();
    const answer = await ask(page, 'What is the best recipe for mapo tofu with Sichuan peppercorns?');
    await expect(answer.locator('.badge').allInnerTexts()).resolves.toContain('No material on this');
    expect(await page.locator('.conv-item').count()).toBe(2);
    // The earlier conversation is still there, with its answer.
    await page.locator('.conv-item', { hasText: ROLLBACK_Q }).click();
    await page.locator('.msg.avatar.done .chip').first().waitFor();
    await page.context().close();
  });

  it('shows a paused avatar as paused, and takes no question for it', async () => {
    const { page } = await open();
    const item = page.locator('.avatar-item', { hasText: 'resting' });
    await expect(item.locator('.tag').first().innerText()).resolves.toBe('paused');
    await item.click();
    await expect(page.locator('.composer').innerText()).resolves.toMatch(/not answering right now/);
    expect(await page.getByRole('textbox', { name: 'Your question' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await page.context().close();
  });

  it('follows the system dark mode', async () => {
    const { page } = await open({ colorScheme: 'dark' });
    await pick(page, 'lao-zhang');
    await ask(page, ROLLBACK_Q);
    const bg = (await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    expect(r + g + b).toBeLessThan(120);
    await screenshot(page, 'chat-dark');
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('speaks Chinese when the browser prefers it', async () => {
    const { page } = await open({ locale: 'zh-CN' });
    await pick(page, 'lao-zhang');
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await expect(page.getByRole('button', { name: '发送' }).count()).resolves.toBe(1);
    await expect(page.locator('[role=note]').innerText()).resolves.toMatch(/数字分身/);
    const answer = await ask(page, '账单网关怎么回滚？');
    await expect(answer.getByRole('button', { name: '有帮助' }).count()).resolves.toBe(1);
    await until(async () => (await answer.locator('.answer-label').innerText()).length > 0, 'the answer label');
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });
});

run('web chat behind PLAYGROUND_TOKEN', () => {
  jest.setTimeout(60_000);
  const TOKEN = 'browser-test-token-5a1f0c3e9d2b7e64';
  let rt: Runtime;
  let handle: ServeHandle;
  let browser: Browser;

  beforeAll(async () => {
    await ensureWebBundle();
    const root = tmpDir('web-chat-token-');
    makeAvatar(root, 'solo', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback.\n' });
    rt = createRuntime({ PORT: '0', PLAYGROUND_TOKEN: TOKEN }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    handle = await serve(rt, quietIo(), { interactive: false });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await handle?.close();
    rt?.close();
  });

  it('takes the token from the URL fragment into this tab only, drops it from the address bar and sends it as a bearer token', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const auth: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/playground/api/')) auth.push(r.headers().authorization);
    });
    await page.goto(`http://127.0.0.1:${handle.port}/#token=${TOKEN}`);
    await page.waitForSelector('.avatar-item', { state: 'attached' });
    expect(page.url()).toBe(`http://127.0.0.1:${handle.port}/`);
    expect(await page.evaluate("sessionStorage.getItem('pgToken')")).toBe(TOKEN);
    await page.getByRole('textbox', { name: /question/i }).fill('how do I roll back?');
    await page.keyboard.press('Enter');
    await page.locator('.msg.avatar.done').waitFor();
    expect(auth.length).toBeGreaterThan(2);
    expect(auth.every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
    await context.close();

    // Without it, the page says how to open it, and shows no avatar.
    const bare = await browser.newContext({ locale: 'en-US' });
    const page2 = await bare.newPage();
    await page2.goto(`http://127.0.0.1:${handle.port}/`);
    await expect(page2.getByRole('alert').innerText()).resolves.toMatch(/needs its token.*#token=/);
    expect(await page2.locator('.avatar-item').count()).toBe(0);
    await bare.close();
  });
});
