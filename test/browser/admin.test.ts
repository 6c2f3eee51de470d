import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { readSkill } from '../../src/avatars/package';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { ConsentBook, purposeText } from '../../src/distill/consent';
import { proposeCorrection } from '../../src/distill/corrections';
import { saveVersion } from '../../src/distill/versions';
import { ADMIN_TOKEN, startConsoleServer, type ConsoleServer } from '../admin/console-server';
import { FakeOAuth } from '../admin/fake-oauth';
import { axeViolations, browserAvailable, horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser';
import { ensureWebBundle } from '../helpers/web-bundle';

// The admin console in headless Chromium against the real server and the demo avatars: sign-in,
// the actions on every page, the hash-chain badge (also after a row is edited in SQLite), axe on
// every page and the 390 px layout. The screenshots in README.md come from this run.

const run = browserAvailable('admin console') ? describe : describe.skip;

run('admin console in a browser', () => {
  let s: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let consentId = '';
  const url = (p: string): string => `${s.origin}${p}`;

  async function accessible(name: string): Promise<void> {
    expect([name, await axeViolations(page)]).toEqual([name, []]);
  }

  beforeAll(async () => {
    // Built (or rebuilt when web/ changed) as production, whatever NODE_ENV jest runs under.
    await ensureWebBundle();
    s = await startConsoleServer();
    const { service } = s.rt;
    // Planted through the real services: two saved skill versions, a correction waiting, questions and ratings.
    const lin = service.get('lin-xiaoyu');
    saveVersion(lin.dir, readSkill(lin), { reason: 'distill', by: 'slack:U07LXY00001', evidence: 4, changes: ['first distillation'] });
    saveVersion(lin.dir, `${readSkill(lin).trimEnd()}\n\n## Launch checklist\n\n- Pricing copy is reviewed by legal before any launch.\n`, { reason: 'redistill', by: 'slack:U07LXY00001', evidence: 5, changes: ['new section: Launch checklist'] });
    await proposeCorrection(service.store, 'lin-xiaoyu', 'She calls it the PLUS membership, never "VIP".', 'slack:U_ASKER');
    for (const [actor, question] of [['slack:U_ASKER', 'How much is PLUS in the first year?'], ['slack:U_ASKER', 'Who owns checkout?'], ['lark:ou_other', 'What is the refund policy?']]) {
      await service.ask('lin-xiaoyu', { question, conversation: `admin-test:${actor}`, actor, viewer: LOCAL_VIEWER });
    }
    // Enough entries for a second page of the audit log.
    for (let i = 0; i < 25; i++) await service.ask('lao-zhang', { question: `How do I roll back billing-gateway? (${i})`, conversation: 'admin-test:pages', actor: 'slack:U_PAGER', viewer: LOCAL_VIEWER });
    // A consent request and the subject's approval, as /distill makes them.
    const book = new ConsentBook(service.store, 7);
    const request = await book.create({ slug: 'lin-xiaoyu', subject: { id: 'slack:U07LXY00001', name: 'Sarah Lin' }, requester: { id: 'slack:U07MGR0001', name: 'Chen Zhiyuan' }, basis: 'consent', scope: { channels: ['C_PRODUCT'], files: false }, purpose: purposeText('en') });
    await book.decide(request.id, true, 'slack:U07LXY00001');
    consentId = request.id;
    await service.store.addFeedback({ avatar: 'lin-xiaoyu', conversation: 'c', userId: 'slack:U_ASKER', kind: 'up' });
    await service.store.addFeedback({ avatar: 'lin-xiaoyu', conversation: 'c', userId: 'lark:ou_other', kind: 'down' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('requires sign-in, refuses a wrong token and signs in with ADMIN_TOKEN', async () => {
    await page.goto(url('/admin/audit'));
    await page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Faudit/);
    await page.getByLabel('Admin token').waitFor();
    await accessible('sign-in');
    await screenshot(page, 'admin-sign-in');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where it was sent from.
    await page.waitForURL(/\/admin\/audit/);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // React's production build: its fibers carry no development-only debug fields.
    // A string, not a function: the tests compile without the DOM library.
    const debugFields = await page.evaluate(`(() => {
      const key = (e) => Object.keys(e).find((k) => k.startsWith('__reactFiber$'));
      const el = [...document.querySelectorAll('body *')].find(key);
      return el ? ['_debugOwner', '_debugStack', '_debugTask'].filter((f) => f in el[key(el)]) : ['no React root found'];
    })()`);
    expect(debugFields).toEqual([]);
  }, 60_000);

  it('shows the avatars with their figures, pauses and resumes one, and re-ingests with progress', async () => {
    await page.goto(url('/admin'));
    const card = page.locator('article', { has: page.getByRole('heading', { name: /Sarah Lin/ }) });
    await card.getByText('3', { exact: true }).waitFor(); // questions
    await expect(card.textContent()).resolves.toMatch(/slack:U_ASKER \(2\), lark:ou_other \(1\)/);
    await expect(card.textContent()).resolves.toMatch(/1 helpful · 1 not helpful · 1 “not how they’d say it” \(50\.0% positive\)/);
    await accessible('avatars');
    await screenshot(page, 'admin-avatars');

    await card.getByRole('button', { name: 'Pause' }).click();
    await card.locator('.badge', { hasText: 'paused' }).waitFor();
    expect(s.rt.service.get('lin-xiaoyu').config.status).toBe('paused');
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.locator('.badge', { hasText: 'active' }).waitFor();
    expect(s.rt.service.get('lin-xiaoyu').config.status).toBe('active');
    const audited = (await s.rt.service.store.auditEntries({ avatar: 'lin-xiaoyu' })).filter((e) => e.actor === 'admin:token').map((e) => e.action);
    expect(audited).toEqual(['pause', 'resume']);

    await card.getByRole('button', { name: 'Re-ingest' }).click();
    await card.getByText(/Re-ingest finished: \d+ chunks/).waitFor({ timeout: 60_000 });
  }, 90_000);

  it('shows consent records with the evidence', async () => {
    await page.goto(url('/admin/consent'));
    await page.getByRole('heading', { name: 'Lao Zhang · 张建国' }).waitFor();
    await page.getByText('HR ticket HR-2026-0612', { exact: false }).waitFor();
    // The approval planted through ConsentBook shows with its audit entries.
    const lin = page.locator('section', { has: page.getByRole('heading', { name: /Sarah Lin/ }) });
    await lin.getByText(consentId).first().waitFor();
    await expect(lin.getByRole('region', { name: /Consent evidence/ }).textContent()).resolves.toMatch(/consent_requested.*consent_approved/);
    await accessible('consent');
    await screenshot(page, 'admin-consent');
  });

  it('approves a correction into a new skill version, shows a diff and rolls back a version', async () => {
    await page.goto(url('/admin/skills?avatar=lin-xiaoyu'));
    await page.getByText('never "VIP"').waitFor();
    await page.getByRole('button', { name: /^Approve correction #/ }).click();
    await page.getByText(/approved: the skill is now version 3/).waitFor();
    expect(readSkill(s.rt.service.get('lin-xiaoyu'))).toContain('never "VIP"');
    await page.getByText('No corrections waiting.').waitFor();

    await page.getByRole('button', { name: 'Diff version 1 against the live skill' }).click();
    const diff = page.getByLabel('Changes from this version to the live skill');
    await expect(diff.textContent()).resolves.toMatch(/\+ - She calls it the PLUS membership/);
    await expect(diff.textContent()).resolves.toMatch(/\+ ## Launch checklist/);
    await accessible('corrections and versions');
    await screenshot(page, 'admin-skills');

    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('becomes the live skill').waitFor();
    await accessible('rollback dialog');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText('Rolled back to version 1: the live skill is now version 4.').waitFor();
    const live = readSkill(s.rt.service.get('lin-xiaoyu'));
    expect(live).not.toContain('Launch checklist');
    expect(live).not.toContain('never "VIP"');
    const rollback = (await s.rt.service.store.auditEntries({ avatar: 'lin-xiaoyu', action: 'rollback' })).at(-1);
    expect(rollback).toMatchObject({ actor: 'admin:token', detail: { to: 1, version: 4 } });
  }, 60_000);

  it('runs eval and charts R@5, MRR and abstention over runs', async () => {
    await page.goto(url('/admin/eval?avatar=lao-zhang'));
    await page.getByText('QA set: lao-zhang.jsonl').waitFor();
    await page.getByRole('button', { name: 'Run eval' }).click();
    await page.getByRole('cell', { name: '#1' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Run eval' }).click();
    await page.getByRole('cell', { name: '#2' }).waitFor({ timeout: 60_000 });
    await page.getByRole('img', { name: /R@5, MRR and abstention over 2 eval runs/ }).waitFor();
    expect(await page.locator('.chart polyline').count()).toBe(3);
    const runs = await s.rt.service.store.kvList<{ slug: string; recallAt5: number }>('admin-eval-runs');
    expect(runs.filter((r) => r.value.slug === 'lao-zhang')).toHaveLength(2);
    expect(runs[0].value.recallAt5).toBeGreaterThan(0.5);
    await accessible('eval');
    await screenshot(page, 'admin-eval');
  }, 150_000);

  it('fits 390 px without sideways scrolling, in light and dark, on every page', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await page.context().cookies());
    try {
      for (const scheme of ['light', 'dark'] as const) {
        await phone.emulateMedia({ colorScheme: scheme });
        for (const p of ['/admin', '/admin/consent', '/admin/skills?avatar=lin-xiaoyu', '/admin/audit', '/admin/eval?avatar=lao-zhang', '/admin/sign-in']) {
          await phone.goto(url(p));
          await phone.locator('h1').waitFor();
          await phone.waitForLoadState('networkidle');
          expect([scheme, p, await horizontalOverflow(phone)]).toEqual([scheme, p, 0]);
          if (scheme === 'dark') expect([p, await axeViolations(phone)]).toEqual([p, []]);
        }
      }
      await phone.emulateMedia({ colorScheme: 'light' });
      await phone.goto(url('/admin'));
      await phone.getByRole('heading', { name: /Sarah Lin/ }).waitFor();
      await screenshot(phone, 'admin-avatars-390');
      await phone.emulateMedia({ colorScheme: 'dark' });
      await phone.goto(url('/admin/audit'));
      await phone.getByTestId('chain-badge').waitFor();
      await screenshot(phone, 'admin-audit-390-dark');
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('pages and filters the audit log; the badge says verified, and broken once a row is edited in SQLite', async () => {
    await page.goto(url('/admin/audit'));
    await page.getByTestId('chain-badge').filter({ hasText: /Chain verified \(\d+ entries\)/ }).waitFor();
    await page.getByLabel('Action').fill('pause');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('1 matching entry').waitFor();
    await expect(page.locator('table.audit tbody tr').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByText(/page 2 of \d+/).waitFor();
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByText(/page 1 of \d+/).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await accessible('audit');
    await screenshot(page, 'admin-audit');

    // Someone with the database file rewrites what an admin did (the table refuses updates, so they drop the guard first).
    const db = new Database(path.join(s.root, 'data', 'state.db'));
    try {
      db.exec('DROP TRIGGER audit_no_update');
      const row = db.prepare("SELECT seq FROM audit WHERE action = 'pause' AND actor = 'admin:token'").get() as { seq: number };
      db.prepare("UPDATE audit SET actor = 'slack:U_SOMEONE_ELSE' WHERE seq = ?").run(row.seq);
      await page.getByRole('button', { name: 'Verify again' }).click();
      await page.getByTestId('chain-badge').filter({ hasText: `Chain broken at entry ${row.seq}` }).waitFor();
    } finally {
      db.close();
    }
    await accessible('audit, chain broken');
    await screenshot(page, 'admin-audit-broken');
  }, 60_000);
});

run('admin console in a browser: a colleague signs in with Slack', () => {
  let fake: FakeOAuth;
  let s: ConsoleServer;
  let browser: Browser;

  beforeAll(async () => {
    fake = new FakeOAuth();
    await fake.start();
    s = await startConsoleServer({ ADMIN_URL: 'http://console.test', SLACK_CLIENT_ID: fake.slackClient.id, SLACK_CLIENT_SECRET: fake.slackClient.secret, SLACK_API_URL: `${fake.url}/api/` });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await fake?.stop();
  });

  it('comes back from Slack signed in and sees only their own avatar', async () => {
    fake.slackCodes.set('code-lin', { userId: 'U07LXY00001', teamId: 'T07UNDERSTUDY', name: 'Sarah Lin' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Slack's authorize page, which signs her in and sends the browser back with a code.
    await page.route('https://slack.com/**', (route) => {
      const state = new URL(route.request().url()).searchParams.get('state');
      return route.fulfill({ status: 302, headers: { location: `${s.origin}/admin/oauth/slack/callback?code=code-lin&state=${state}` } });
    });
    await page.goto(`${s.origin}/admin/sign-in`);
    await page.getByRole('link', { name: 'Sign in with Slack' }).click();
    await page.getByRole('heading', { name: /Sarah Lin/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin');
    await page.getByText('Sarah Lin · your avatar only').waitFor();
    expect(await page.getByRole('heading', { name: /Lao Zhang/ }).count()).toBe(0);
    expect([await axeViolations(page)]).toEqual([[]]);
    await page.close();
  }, 60_000);
});
