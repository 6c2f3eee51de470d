import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { createChatModel } from '../../src/answer/llm';
import { guardOf } from '../../src/answer/model-guard';
import type { ModelLimits } from '../../src/config/env';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const FILES = { 'rollback.md': '# Rollback billing-gateway\n\nIf it touches money, roll back first and debug later with deployctl rollback.\n' };

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await startFakeOpenAi(() => 'Roll back first [1].');
});
afterEach(async () => {
  await fake.close();
});

async function setup(limits: Partial<ModelLimits>, apiKey = 'sk-test') {
  const root = tmpDir('guard-');
  makeAvatar(root, 'lz', FILES);
  const { log, lines } = capturingLogger();
  const model = createChatModel({ model: 'm', apiKey, baseURL: fake.baseURL }, { maxRetries: 0, ...limits, log });
  const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:'), model });
  await svc.ingest('lz');
  const ask = (conversation = 'c1') => svc.ask('lz', { question: 'How do I roll back billing-gateway?', viewer: LOCAL_VIEWER, conversation, actor: 'slack:U1' });
  return { svc, model, ask, lines };
}

describe('a slow or failing model never stalls an answer', () => {
  it('answers offline with a note when a hanging model uses up ANSWER_TIMEOUT_MS', async () => {
    fake.mode = 'hang';
    const { ask, lines } = await setup({ answerBudgetMs: 300, timeoutMs: 60_000, maxRetries: 2 });
    const started = Date.now();
    const a = await ask();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(a.model).toBe('offline-extractive');
    expect(a.text).toMatch(/^\(The language model did not answer in time, so I am quoting the sources directly\.\)/);
    expect(a.citations[0].source).toBe('rollback.md');
    expect(lines().some((l) => l.reason === 'timeout' && /answer budget ran out/.test(String(l.msg)))).toBe(true);
  });

  it('answers offline when a slow stream runs past the budget (a cut-off answer is not passed off as whole)', async () => {
    fake.mode = 'slow';
    fake.slowMs = 200;
    const { ask } = await setup({ answerBudgetMs: 300 });
    const a = await ask();
    expect(a.model).toBe('offline-extractive');
    expect(a.text).toMatch(/did not answer in time/);
  });

  it('opens the breaker after N failures (no more calls to the model), then closes after the cool-down', async () => {
    fake.mode = '500';
    const { model, ask, lines } = await setup({ breakerFailures: 2, breakerCooldownMs: 2_000 });
    const guard = guardOf(model)!;
    await ask('a');
    expect(guard.health().state).toBe('ok');
    await ask('b');
    expect(guard.health()).toMatchObject({ state: 'degraded', breaker: 'open', consecutive_failures: 2, last_error: 'error' });
    const sent = fake.requests.length;
    const started = Date.now();
    const c = await ask('c');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.requests.length).toBe(sent);
    expect(c.text).toMatch(/^\(The language model is unavailable right now/);
    expect(lines().some((l) => /circuit breaker opened/.test(String(l.msg)))).toBe(true);

    fake.mode = 'ok';
    await new Promise((r) => setTimeout(r, 2_100));
    expect(guard.health().breaker).toBe('half-open');
    const d = await ask('d');
    expect(d.model).toBe('m');
    expect(guard.health()).toMatchObject({ state: 'ok', breaker: 'closed', consecutive_failures: 0 });
    expect(lines().some((l) => /circuit breaker closed/.test(String(l.msg)))).toBe(true);
  });

  it('logs a rejected key as an error with its cause, without the key', async () => {
    fake.mode = '401';
    const { ask, lines } = await setup({}, 'sk-wrong-key-123');
    const a = await ask();
    expect(a.model).toBe('offline-extractive');
    const line = lines().find((l) => l.reason === 'auth');
    expect(line).toMatchObject({ level: 50, msg: expect.stringMatching(/rejected the API key \(check OPENAI_API_KEY\)/) });
    expect(JSON.stringify(line?.err)).toMatch(/401|Incorrect API key/);
    expect(JSON.stringify(lines())).not.toContain('sk-wrong-key-123');
  });

  it('names OPENAI_BASE_URL when nothing listens there', async () => {
    const dead = fake.baseURL;
    await fake.close();
    fake = await startFakeOpenAi(() => 'x');
    const root = tmpDir('guard-');
    makeAvatar(root, 'lz', FILES);
    const { log, lines } = capturingLogger();
    const model = createChatModel({ model: 'm', apiKey: 'sk-test', baseURL: dead }, { maxRetries: 0, log });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:'), model });
    await svc.ingest('lz');
    const a = await svc.ask('lz', { question: 'How do I roll back billing-gateway?', viewer: LOCAL_VIEWER, conversation: 'c', actor: 'slack:U1' });
    expect(a.model).toBe('offline-extractive');
    expect(lines().find((l) => l.reason === 'unreachable')).toMatchObject({ level: 50, msg: expect.stringMatching(/OPENAI_BASE_URL/) });
  });
});
