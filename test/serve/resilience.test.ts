import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEDUPE_TTL_MS, startEventPruning } from '../../src/chat/event-pruning';
import { readPending } from '../../src/chat/handoff-journal';
import { silentLogger } from '../../src/log';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import type { SlackCall } from '../helpers/fake-slack';
import { messageEvent, startLark } from '../helpers/lark-harness';
import { eventBody, LZ_SECRET, slackWorkspace, startSlack, type SlackHarness } from '../helpers/slack-harness';

async function within<T>(ms: number, what: string, probe: () => T | undefined | false): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dm = (user: string, text: string) => eventBody({ type: 'message', channel_type: 'im', channel: `D_${user}`, user, text }, { app: 'A_LZ' });
const answers = (calls: SlackCall[]) => calls.filter((c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'));

describe('serve stays up when the model does not', () => {
  let h: SlackHarness | undefined;
  let fake: FakeOpenAi;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake?.close();
  });

  const health = async () => (await (await fetch(`http://127.0.0.1:${h!.handle.port}/healthz`)).json()) as Record<string, unknown>;

  it('opens the breaker after N failures, /healthz says the model is degraded, and both recover after the cool-down', async () => {
    fake = await startFakeOpenAi(() => 'Roll back first [1].');
    fake.mode = '500';
    h = await startSlack({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0', OPENAI_BREAKER_FAILURES: '2', OPENAI_BREAKER_COOLDOWN_MS: '2500' } });
    expect(await health()).toMatchObject({ ok: true, status: 'ok', model: 'gpt-4o-mini', model_health: { state: 'ok', breaker: 'closed' } });
    for (const u of ['U1', 'U2']) {
      await h.send(dm(u, 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
      await h.idle();
    }
    expect(await health()).toMatchObject({ ok: true, status: 'degraded', model_health: { state: 'degraded', breaker: 'open', consecutive_failures: 2 } });
    // While open, questions are answered from the sources without calling the model.
    const calls = fake.requests.length;
    await h.send(dm('U3', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await h.idle();
    expect(fake.requests.length).toBe(calls);
    expect(String(answers(h.fake.calls).at(-1)?.args.text)).toMatch(/language model is unavailable right now/);

    fake.mode = 'ok';
    await new Promise((r) => setTimeout(r, 2_600));
    await h.send(dm('U4', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await h.idle();
    expect(String(answers(h.fake.calls).at(-1)?.args.text)).toMatch(/Roll back first/);
    expect(await health()).toMatchObject({ status: 'ok', model_health: { state: 'ok', breaker: 'closed', consecutive_failures: 0 } });
  });

  it('on SIGTERM (close) with answers hanging on the model: stops taking work, answers them from the sources, logs it, and is done within 10 s', async () => {
    fake = await startFakeOpenAi(() => 'never');
    fake.mode = 'hang';
    const { log, lines } = capturingLogger();
    // Defaults for the shutdown (10 s); the model would hang for a minute.
    h = await startSlack({ logger: log, env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, ANSWER_TIMEOUT_MS: '60000', OPENAI_TIMEOUT_MS: '60000' } });
    for (const u of ['U1', 'U2', 'U3']) await h.send(dm(u, 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await within(15_000, 'three model calls in flight', () => fake.requests.length === 3);

    const started = Date.now();
    const closing = h.handle.close();
    // Not ready any more, and a question arriving now is not taken.
    expect((await fetch(`http://127.0.0.1:${h.handle.port}/healthz`)).status).toBe(503);
    await h.send(dm('U4', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await closing;
    const took = Date.now() - started;
    // The deadline is 10 s; allow for timer jitter on a loaded machine.
    expect(took).toBeLessThan(11_000);

    const shown = answers(h.fake.calls);
    expect(shown).toHaveLength(3);
    for (const a of shown) expect(String(a.args.text)).toMatch(/language model is unavailable right now/);
    expect(h.fake.calls.some((c) => c.args.channel === 'D_U4')).toBe(false);

    const logged = lines();
    expect(logged.find((l) => /^shutting down/.test(String(l.msg)))).toMatchObject({ timeout_ms: 10_000 });
    expect(logged.find((l) => /stopped waiting for the language model/.test(String(l.msg)))).toMatchObject({ aborted: 3 });
    const stopped = logged.find((l) => l.msg === 'chat router stopped');
    // Each of the three answers, and the Slack delivery waiting for it (role all journals an acked event until it is answered).
    expect(stopped).toMatchObject({ finished: 6, abandoned: 0 });
    // U4's event was refused once: acked, it stays journaled for the next start (the journal retries nothing while it drains;
    // it did at each 5 s scan of the stop, each retry using one of its attempts).
    expect(stopped?.dropped).toBe(1);
    expect(logged.find((l) => l.msg === 'shut down')).toBeDefined();
    const dir = path.join(h.root, 'data', 'handoff');
    const pending = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readPending(path.join(dir, f)));
    expect(pending.map((e) => (JSON.parse(e.body) as { event: { channel: string } }).event.channel)).toEqual(['D_U4']);
  }, 60_000);

  it('acks and answers Slack events while its handoff journal cannot be written (a full volume), and says so once', async () => {
    const { log, lines } = capturingLogger();
    h = await startSlack({ logger: log });
    const dir = path.join(h.root, 'data', 'handoff');
    const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.jsonl')) as string);
    // The volume fills up: every write to the journal fails with ENOSPC (/dev/full in the file's place, which the journal's next scan opens).
    fs.rmSync(file);
    fs.symlinkSync('/dev/full', file);
    await within(8_000, 'the journal file opened again', () => lines().some((l) => /starting a new one/.test(String(l.msg))));
    for (const u of ['U5', 'U6']) expect((await h.send(dm(u, 'How do I roll back billing-gateway?'), { secret: LZ_SECRET })).status).toBe(200);
    await h.idle();
    expect(answers(h.fake.calls)).toHaveLength(2);
    expect(lines().filter((l) => /handoff journal: cannot write/.test(String(l.msg)))).toEqual([expect.objectContaining({ path: file, code: 'ENOSPC' })]);
  }, 30_000);

  it('a stopping process whose journal has closed refuses a Slack or Feishu delivery with 503, so it is sent again, not lost or a 500', async () => {
    h = await startSlack();
    // Where a stop is between closing the journal and closing the server.
    await h.handle.journal?.close();
    const res = await h.send(dm('U7', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    await h.idle();
    expect(h.fake.calls.filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    const lark = await startLark();
    try {
      await lark.handle.journal?.close();
      expect((await lark.send(messageEvent(lark.fake, { text: 'How do I roll back billing-gateway?' }))).status).toBe(503);
    } finally {
      await lark.close();
    }
  });

  it('logs what it abandons when work does not finish by the deadline', async () => {
    const { log, lines } = capturingLogger();
    h = await startSlack({ logger: log, env: { UNDERSTUDY_SHUTDOWN_TIMEOUT_MS: '800' } });
    // A collection that ignores shutdown, as a long distillation would.
    h.handle.router.track(new Promise((r) => setTimeout(r, 3_000).unref()));
    const started = Date.now();
    await h.handle.close();
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(lines().find((l) => /abandoned 1 unfinished/.test(String(l.msg)))).toMatchObject({ abandoned: [expect.objectContaining({ kind: 'background' })] });
  });
});

describe('dedupe table pruning', () => {
  it('prunes old dedupe keys when serve starts, and keeps fresh ones', async () => {
    const root = slackWorkspace();
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const twoDaysAgo = new SqliteStateStore(path.join(dataDir, 'state.db'), { now: () => new Date(Date.now() - 2 * 86_400_000) });
    expect(await twoDaysAgo.claim('slack:event:EvOld', DEDUPE_TTL_MS)).toBe(true);
    await twoDaysAgo.close();
    const recent = new SqliteStateStore(path.join(dataDir, 'state.db'));
    expect(await recent.claim('slack:event:EvNew', DEDUPE_TTL_MS)).toBe(true);
    await recent.close();

    const h = await startSlack({ root });
    try {
      // The expired key is gone from the table, not only claimable again.
      const raw = new Database(path.join(dataDir, 'state.db'), { readonly: true });
      const keys = (raw.prepare('SELECT key FROM claims ORDER BY key').all() as { key: string }[]).map((r) => r.key);
      raw.close();
      expect(keys).toEqual(['slack:event:EvNew']);
      const store = h.runtime.service.store;
      expect(await store.claim('slack:event:EvOld', DEDUPE_TTL_MS)).toBe(true);
      expect(await store.claim('slack:event:EvNew', DEDUPE_TTL_MS)).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('prunes again on its timer', async () => {
    let calls = 0;
    const stop = startEventPruning({ pruneClaims: async () => ++calls }, silentLogger, { everyMs: 30 });
    await new Promise((r) => setTimeout(r, 200));
    stop();
    const after = calls;
    expect(after).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(after);
  });
});
