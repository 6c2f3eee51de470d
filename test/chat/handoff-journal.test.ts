import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Delivery, HandoffJournal, ownerOf, readPending, type JournalEntry, type Liveness } from '../../src/chat/handoff-journal';
import { registry } from '../../src/jobs/metrics';

/** Leases as a set of live replica ids (the Redis one is exercised by test/scale/handoff-journal.test.ts). */
function leases(): Liveness & { live: Set<string> } {
  const live = new Set<string>();
  return {
    live,
    renew: async (id) => void live.add(id),
    alive: async (id) => live.has(id),
    release: async (id) => void live.delete(id),
  };
}

/** A pino logger whose lines the test can read. */
function capturedLog(): { log: pino.Logger; lines: () => { msg: string; [k: string]: unknown }[] } {
  const out: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as { msg: string }) };
}

const replayed = async (platform: string): Promise<number> => (await registry.getSingleMetric('understudy_events_replayed_total')?.get())?.values.find((v) => v.labels.platform === platform)?.value ?? 0;

const writeFailures = async (): Promise<number> => (await registry.getSingleMetric('understudy_handoff_journal_write_failures_total')?.get())?.values.find((v) => v.labels.record === 'event')?.value ?? 0;

/** The volume fills up: the journal's file is swapped for /dev/full (every write fails with ENOSPC), which the next scan opens as its own. */
async function fillDisk(j: HandoffJournal): Promise<void> {
  fs.rmSync(j.file);
  fs.symlinkSync('/dev/full', j.file);
  await j.scan();
}

/** Room again: the next scan opens a new file. */
async function freeDisk(j: HandoffJournal): Promise<void> {
  fs.rmSync(j.file);
  await j.scan();
}

describe('handoff journal', () => {
  let dir: string;
  const open: HandoffJournal[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-'));
  });
  afterEach(async () => {
    for (const j of open.splice(0)) await j.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const journal = async (liveness: Liveness, options: Partial<ConstructorParameters<typeof HandoffJournal>[0]> = {}): Promise<HandoffJournal> => {
    const j = new HandoffJournal({ dir, liveness, scanMs: 60_000, ...options });
    await j.start();
    open.push(j);
    return j;
  };

  it('appends an acked event before its hand-off and a done mark after it; only events without one are pending', async () => {
    const j = await journal(leases());
    const a = j.record('slack', '{"event_id":"Ev1"}', { retryNum: '1' });
    const b = j.record('slack', '{"event_id":"Ev2"}');
    const c = j.record('lark', '{"encrypt":"xyz"}', { app: 'cli_1' });
    // On disk at once (the ack goes out after record returns).
    expect(readPending(j.file).map((e) => e.body)).toEqual(['{"event_id":"Ev1"}', '{"event_id":"Ev2"}', '{"encrypt":"xyz"}']);
    await j.track(a, Promise.resolve());
    j.settle(c, true);
    const left = readPending(j.file);
    expect(left.map((e) => e.id)).toEqual([b.token]);
    expect(left[0]).toMatchObject({ platform: 'slack', body: '{"event_id":"Ev2"}', meta: {} });
    expect(j.size).toBe(1);
    expect(fs.readFileSync(j.file, 'utf8').trim().split('\n')).toHaveLength(5);
    // The first entry kept its retry headers.
    expect(fs.readFileSync(j.file, 'utf8')).toContain('"retryNum":"1"');
  });

  it('a hand-off whose work failed stays pending and is retried at the next scan, then given up after maxAttempts', async () => {
    const { log, lines } = capturedLog();
    const j = await journal(leases(), { maxAttempts: 2, log });
    let runs = 0;
    j.register('slack', async () => {
      runs++;
      return false;
    });
    const d = j.record('slack', '{}');
    const failed = new Delivery(d.token);
    failed.add(Promise.resolve(false));
    await j.track(d, failed.outcome().then(() => Promise.reject(new Error('Redis did not answer'))));
    expect(readPending(j.file)).toHaveLength(1);
    await j.scan();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
    expect(readPending(j.file)).toHaveLength(0);
    expect(lines().some((l) => /could not be handed off; given up/.test(l.msg))).toBe(true);
  });

  it('starts the file over once everything in it is done and it reached rotateBytes', async () => {
    const j = await journal(leases(), { rotateBytes: 200 });
    const body = JSON.stringify({ text: 'x'.repeat(150) });
    const a = j.record('slack', body);
    const b = j.record('slack', body);
    j.settle(a, true);
    // b is not done: nothing is dropped.
    expect(fs.statSync(j.file).size).toBeGreaterThan(300);
    j.settle(b, true);
    expect(fs.statSync(j.file).size).toBe(0);
    // Appends go on in the same file.
    const c = j.record('slack', '{}');
    expect(readPending(j.file).map((e) => e.id)).toEqual([c.token]);
  });

  it('keeps no handed-off event of a quiet replica: the scan starts the file over once nothing in it is pending', async () => {
    const j = await journal(leases());
    j.settle(j.record('slack', '{"token":"verification_token","event":{"text":"my salary is"}}'), true);
    expect(fs.statSync(j.file).size).toBeGreaterThan(0);
    await j.scan();
    expect(fs.statSync(j.file).size).toBe(0);
    const c = j.record('slack', '{}');
    expect(readPending(j.file).map((e) => e.id)).toEqual([c.token]);
  });

  it('a hand-off that never settles does not keep the file growing: past rotateBytes it is rewritten with only the pending entries', async () => {
    const j = await journal(leases(), { rotateBytes: 1000 });
    const hung = j.record('slack', '{"n":"hung"}');
    const body = JSON.stringify({ text: 'x'.repeat(150) });
    for (let i = 0; i < 20; i++) j.settle(j.record('slack', body), true);
    expect(fs.statSync(j.file).size).toBeGreaterThan(20 * 150);
    await j.scan();
    expect(fs.readFileSync(j.file, 'utf8')).toBe(`${JSON.stringify({ e: readPending(j.file)[0] })}\n`);
    expect(readPending(j.file).map((e) => e.id)).toEqual([hung.token]);
    expect(fs.statSync(j.file).mode & 0o077).toBe(0);
    // Appends go to the new file; nothing else is left in the directory.
    const c = j.record('slack', '{}');
    expect(readPending(j.file).map((e) => e.id)).toEqual([hung.token, c.token]);
    expect(fs.readdirSync(dir)).toEqual([path.basename(j.file)]);
    // Not rewritten again at every scan while what is pending is all there is.
    const ino = fs.statSync(j.file).ino;
    await j.scan();
    expect(fs.statSync(j.file).ino).toBe(ino);
  });

  it('a journal whose owner lease is gone is claimed by rename by exactly one replica, and its pending entries are handed off once', async () => {
    const live = leases();
    const dead = await journal(live, { replicaId: 'web-a' });
    const acked = ['{"n":1}', '{"n":2}', '{"n":3}'].map((b) => dead.record('slack', b));
    dead.settle(acked[1] as Delivery, true);
    // kill -9: the lease lapses, the file stays as it was.
    live.live.delete('web-a');
    const before = await replayed('slack');
    const seen: { by: string; entry: JournalEntry }[] = [];
    const rescuers = await Promise.all(['web-b', 'web-c'].map((id) => journal(live, { replicaId: id })));
    for (const r of rescuers) r.register('slack', async (entry) => {
        seen.push({ by: r.replicaId, entry });
        return true;
      });
    // Both scan at once; renaming web-a.jsonl succeeds for one of them.
    await Promise.all(rescuers.map((r) => r.takeOver()));
    await new Promise((r) => setImmediate(r));
    expect(seen.map((s) => s.entry.body).sort()).toEqual(['{"n":1}', '{"n":3}']);
    expect(new Set(seen.map((s) => s.by)).size).toBe(1);
    expect(seen.map((s) => s.entry.id).sort()).toEqual([acked[0]?.token, acked[2]?.token].sort());
    expect(await replayed('slack')).toBe(before + 2);
    // The dead replica's file is gone; the rescuer's own journal has them, marked done.
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['web-a.jsonl', 'web-b.jsonl', 'web-c.jsonl'].filter((f) => f !== 'web-a.jsonl'));
    const rescuer = rescuers.find((r) => r.replicaId === seen[0]?.by) as HandoffJournal;
    expect(readPending(rescuer.file)).toEqual([]);
    expect(rescuer.size).toBe(0);
  });

  it('a live replica keeps its journal; the same data dir\'s next run takes over a journal left by an earlier run', async () => {
    const live = leases();
    const running = await journal(live, { replicaId: 'web-live' });
    running.record('slack', '{"n":1}');
    // A file a previous run left behind, no lease (embedded-style: that run is gone).
    fs.writeFileSync(path.join(dir, 'old-run.jsonl'), `${JSON.stringify({ e: { id: 'e-old', at: 1, platform: 'slack', body: '{"n":0}', meta: {} } })}\n`);
    const got: string[] = [];
    const next = await journal(live, { replicaId: 'web-next' });
    next.register('slack', async (entry) => {
      got.push(entry.body);
      return true;
    });
    await next.takeOver();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['{"n":0}']);
    expect(fs.existsSync(running.file)).toBe(true);
    expect(readPending(running.file)).toHaveLength(1);
  });

  it('a torn last line (a crash in the middle of a write) is skipped with a warning, not a crash', async () => {
    const { log, lines } = capturedLog();
    const whole = JSON.stringify({ e: { id: 'e1', at: 1, platform: 'slack', body: '{"n":1}', meta: {} } });
    const torn = JSON.stringify({ e: { id: 'e2', at: 2, platform: 'slack', body: '{"n":2}', meta: {} } }).slice(0, 30);
    fs.writeFileSync(path.join(dir, 'crashed.jsonl'), `${whole}\n${torn}`);
    const got: string[] = [];
    const r = await journal(leases(), { replicaId: 'web-r', log });
    r.register('slack', async (entry) => {
      got.push(entry.id);
      return true;
    });
    await r.takeOver();
    await new Promise((res) => setImmediate(res));
    expect(got).toEqual(['e1']);
    expect(lines().some((l) => /unreadable line skipped/.test(l.msg) && l.last === true)).toBe(true);
  });

  it('a line that is no entry (a literal null, a number) is skipped with a warning, and one journal that cannot be read does not stop the takeover of the others', async () => {
    const { log, lines } = capturedLog();
    const entry = (id: string): string => JSON.stringify({ e: { id, at: 1, platform: 'slack', body: `{"id":"${id}"}`, meta: {} } });
    fs.writeFileSync(path.join(dir, 'bad-lines.jsonl'), `null\n${entry('e1')}\n42\n${entry('e2')}\n`);
    // Claimed by rename like any orphan, then unreadable (a directory).
    fs.mkdirSync(path.join(dir, 'unreadable.jsonl'));
    for (const n of [3, 4, 5, 6]) fs.writeFileSync(path.join(dir, `orphan-${n}.jsonl`), `${entry(`e${n}`)}\n`);
    const got: string[] = [];
    const r = await journal(leases(), { replicaId: 'web-r', log });
    r.register('slack', async (e) => {
      got.push(e.id);
      return true;
    });
    await r.takeOver();
    await new Promise((res) => setImmediate(res));
    expect(got.sort()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(lines().filter((l) => /unreadable line skipped/.test(l.msg)).map((l) => l.line)).toEqual([1, 3]);
    expect(lines().some((l) => /could not take over/.test(l.msg))).toBe(true);
    // The claimed files that were read are gone; the unreadable one is kept, under the claimant's name.
    expect(fs.readdirSync(dir).filter((f) => f !== 'web-r.jsonl').map(ownerOf)).toEqual(['web-r']);
  });

  it('reads a journal of any size line by line: a 520 MB run of garbage between two entries is skipped, not a crash', async () => {
    const { log, lines } = capturedLog();
    const file = path.join(dir, 'huge.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ e: { id: 'e1', at: 1, platform: 'slack', body: '{}', meta: {} } })}\n`);
    // A hole reads as NUL bytes: no disk used, and more than one string can hold.
    fs.truncateSync(file, 520 << 20);
    fs.appendFileSync(file, `\n${JSON.stringify({ e: { id: 'e2', at: 2, platform: 'slack', body: '{}', meta: {} } })}\n`);
    expect(readPending(file, log).map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(lines().filter((l) => /unreadable line skipped/.test(l.msg)).map((l) => l.line)).toEqual([2]);
  });

  it('a journal that cannot be written (a full disk) does not fail the ack: the event goes on without an entry, and the error names the file and errno once per run of failures', async () => {
    const { log, lines } = capturedLog();
    const j = await journal(leases(), { log });
    const before = await writeFailures();
    await fillDisk(j);
    const acked = [1, 2, 3].map((n) => j.record('slack', `{"n":${n}}`));
    // Handed off as usual; nothing pending, as nothing is on disk to replay.
    expect(acked).toHaveLength(3);
    expect(j.size).toBe(0);
    await j.track(acked[0], Promise.resolve());
    const errors = lines().filter((l) => /cannot write/.test(l.msg));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: j.file, code: 'ENOSPC' });
    expect(await writeFailures()).toBe(before + 3);
    // Writable again: journaled again, and said so.
    await freeDisk(j);
    const d = j.record('slack', '{"n":4}');
    expect(readPending(j.file).map((e) => e.id)).toEqual([d.token]);
    expect(lines().filter((l) => /writable again/.test(l.msg)).map((l) => l.unjournaled)).toEqual([3]);
  });

  it('an append cut short (the disk filled up mid-line) counts as failed, and the next entry starts on a line of its own', async () => {
    let full = true;
    // As fs.writeSync on a disk that fills up mid-line: libuv writes what fits, then its next write fails.
    const writeSync = (fd: number, bytes: Buffer): number => {
      if (!full) return fs.writeSync(fd, bytes);
      fs.writeSync(fd, bytes, 0, 10);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const j = await journal(leases(), { writeSync });
    j.record('slack', '{"n":1}');
    expect(fs.statSync(j.file).size).toBe(10);
    expect(j.size).toBe(0);
    full = false;
    const b = j.record('slack', '{"n":2}');
    expect(readPending(j.file).map((e) => e.id)).toEqual([b.token]);
    expect(j.size).toBe(1);
  });

  it('takes over a journal whose entries cannot be copied (a full disk): they are handed off, and the claimed file is kept until they are copied', async () => {
    const entry = (id: string): string => JSON.stringify({ e: { id, at: 1, platform: 'slack', body: `{"id":"${id}"}`, meta: {} } });
    const r = await journal(leases(), { replicaId: 'web-r' });
    await fillDisk(r);
    fs.writeFileSync(path.join(dir, 'dead.jsonl'), `${entry('e1')}\n${entry('e2')}\n`);
    const got: string[] = [];
    let finish: (ok: boolean) => void = () => undefined;
    const handedOff = new Promise<boolean>((res) => (finish = res));
    r.register('slack', async (e) => {
      got.push(e.id);
      return handedOff;
    });
    await r.takeOver();
    await new Promise((res) => setImmediate(res));
    expect(got.sort()).toEqual(['e1', 'e2']);
    const claimed = fs.readdirSync(dir).filter((f) => f.startsWith('web-r~'));
    expect(claimed).toHaveLength(1);
    expect(readPending(path.join(dir, claimed[0] as string)).map((e) => e.id)).toEqual(['e1', 'e2']);
    // The disk has room again: the next scan copies them, deletes the claimed file, and hands nothing off twice.
    await freeDisk(r);
    expect(fs.readdirSync(dir)).toEqual(['web-r.jsonl']);
    expect(readPending(r.file).map((e) => e.id)).toEqual(['e1', 'e2']);
    finish(true);
    await new Promise((res) => setImmediate(res));
    expect(got).toHaveLength(2);
    expect(readPending(r.file)).toEqual([]);
  });

  it('once draining (shutdown began) nothing is handed off again or taken over, and a refused hand-off uses no attempt: it stays for the next run', async () => {
    const j = await journal(leases(), { replicaId: 'web-a', maxAttempts: 2 });
    let runs = 0;
    let answer: (ok: boolean) => void = () => undefined;
    j.register('slack', () => {
      runs++;
      return new Promise<boolean>((r) => (answer = r));
    });
    const failed = j.record('slack', '{"n":1}');
    const refused = j.record('slack', '{"n":2}');
    // A failure before the shutdown (1 attempt of 2), retried at the next scan.
    j.settle(failed, false);
    await j.scan();
    expect(runs).toBe(1);
    fs.writeFileSync(path.join(dir, 'dead.jsonl'), `${JSON.stringify({ e: { id: 'e-dead', at: 1, platform: 'slack', body: '{}', meta: {} } })}\n`);
    j.drain();
    // The router refuses the retry, and a new event, once shutting down.
    answer(false);
    j.settle(refused, false);
    await new Promise((r) => setImmediate(r));
    await j.scan();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
    expect(fs.existsSync(path.join(dir, 'dead.jsonl'))).toBe(true);
    await j.close();
    expect(readPending(j.file).map((e) => e.id).sort()).toEqual([failed.token, refused.token].sort());
  });

  it('closing with nothing pending deletes the file and releases the lease; with events pending, the file stays for another replica', async () => {
    const live = leases();
    const a = await journal(live, { replicaId: 'web-a' });
    a.settle(a.record('slack', '{}'), true);
    await a.close();
    expect(fs.existsSync(a.file)).toBe(false);
    expect(live.live.has('web-a')).toBe(false);
    const b = await journal(live, { replicaId: 'web-b' });
    b.record('slack', '{}');
    await b.close();
    expect(readPending(b.file)).toHaveLength(1);
    expect(live.live.has('web-b')).toBe(false);
  });

  it('keeps the raw event bodies it holds (private messages, verification tokens) readable by its own user only', async () => {
    const j = await journal(leases(), { dir: path.join(dir, 'handoff') });
    j.record('slack', '{"token":"verification_token","event":{"channel_type":"im","text":"my salary is"}}');
    expect(fs.statSync(j.file).mode & 0o077).toBe(0);
    expect(fs.statSync(path.dirname(j.file)).mode & 0o077).toBe(0);
  });

  it('counts a replayed hand-off once when its replayer settles the delivery itself too (the Slack adapter tracks it on the way)', async () => {
    const { log, lines } = capturedLog();
    const live = leases();
    const dead = await journal(live, { replicaId: 'web-a' });
    dead.record('slack', '{"n":1}');
    live.live.delete('web-a');
    const j = await journal(live, { replicaId: 'web-b', maxAttempts: 3, log });
    let runs = 0;
    let processing: 'reject' | 'listener fails' = 'reject';
    // As SlackAdapter.replay: the event goes through handOffAcked, which tracks Bolt's processing
    // of it (settling the delivery), then the replayer answers the delivery's outcome.
    j.register('slack', async (_entry, delivery) => {
      runs++;
      if (processing === 'reject') await j.track(delivery, Promise.reject(new Error('authorize failed')));
      else {
        delivery.add(Promise.resolve(false));
        await j.track(delivery, Promise.resolve());
      }
      return delivery.outcome();
    });
    await j.takeOver();
    await new Promise((r) => setImmediate(r));
    // Bolt's processing failed: the entry stays for another try (it was marked done by the outcome of no listener).
    expect(runs).toBe(1);
    expect(j.size).toBe(1);
    processing = 'listener fails';
    for (let i = 0; i < 3; i++) {
      await j.scan();
      await new Promise((r) => setImmediate(r));
    }
    // maxAttempts tries in all, each counted once (not given up after half of them).
    expect(runs).toBe(3);
    expect(j.size).toBe(0);
    expect(lines().filter((l) => /given up/.test(l.msg)).map((l) => l.attempts)).toEqual([3]);
  });

  it('takes over only the journals its adopts() accepts (a web replica leaves those of role all processes to them)', async () => {
    const live = leases();
    for (const id of ['all-a', 'web-a']) {
      const dead = await journal(live, { replicaId: id });
      dead.record('slack', `{"from":"${id}"}`);
      live.live.delete(id);
    }
    const web = await journal(live, { replicaId: 'web-b', adopts: (owner) => !owner.startsWith('all-') });
    const seen: string[] = [];
    web.register('slack', async (e) => {
      seen.push(e.body);
      return true;
    });
    await web.takeOver();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['{"from":"web-a"}']);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('all-a'))).toEqual(['all-a.jsonl']);
  });

  it('names a claimed file after its claimant', () => {
    expect(ownerOf('web-a.jsonl')).toBe('web-a');
    expect(ownerOf('web-b~1a2b3c4d.jsonl')).toBe('web-b');
    expect(ownerOf('notes.txt')).toBeUndefined();
  });
});
