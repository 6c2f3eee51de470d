import { eventBody, LZ_SECRET, startSlack, type SlackHarness } from '../helpers/slack-harness';

/** A counter's value on a /metrics page (0 when the series is not there yet). */
function value(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function metricsPage(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('/readyz and /metrics on the embedded server', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlack();
  });
  afterAll(async () => {
    await h.close();
  });

  it('is ready when the database and the in-process queue answer', async () => {
    const res = await fetch(`http://127.0.0.1:${h.handle.port}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { database: 'ok', queue: 'ok' } });
    const health = (await (await fetch(`http://127.0.0.1:${h.handle.port}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, role: 'all', queue: 'in-process' });
  });

  it('counts events received, acked and deduped, and answers by path', async () => {
    const before = await metricsPage(h.handle.port);
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back billing-gateway?' }, { app: 'A_LZ' });
    expect((await h.send(body, { secret: LZ_SECRET })).status).toBe(200);
    // Slack's retry of the same event: acked again, answered once.
    expect((await h.send(body, { secret: LZ_SECRET, retryNum: 1 })).status).toBe(200);
    // A forged one reaches the endpoint but is not acked.
    expect((await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'hi' }, { app: 'A_LZ' }), { secret: 'wrong' })).status).toBe(401);
    await h.idle();
    const after = await metricsPage(h.handle.port);
    const delta = (series: string): number => value(after, series) - value(before, series);
    expect(delta('understudy_events_received_total{platform="slack"}')).toBe(3);
    expect(delta('understudy_events_acked_total{platform="slack"}')).toBe(2);
    expect(delta('understudy_events_deduped_total{platform="slack"}')).toBe(1);
    expect(delta('understudy_answers_total{path="offline"}')).toBe(1);
  });

  it('shows queue depth, job latency of the ingests run at start, and process memory', async () => {
    const page = await metricsPage(h.handle.port);
    expect(page).toMatch(/^understudy_queue_depth\{backend="in-process",state="waiting"\} 0$/m);
    expect(page).toMatch(/^understudy_queue_depth\{backend="in-process",state="dead"\} 0$/m);
    expect(value(page, 'understudy_job_duration_seconds_count{kind="ingest",outcome="completed"}')).toBeGreaterThanOrEqual(2);
    expect(value(page, 'understudy_job_wait_seconds_count{kind="ingest"}')).toBeGreaterThanOrEqual(2);
    expect(value(page, 'understudy_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(page).toMatch(/^# TYPE understudy_model_errors_total counter$/m);
  });
});
