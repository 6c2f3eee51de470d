import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HandoffJournal, readPending, type JournalEntry } from '../../src/chat/handoff-journal';
import { EMBEDDED_REPLICA, embeddedReplicaId, fileLiveness } from '../../src/chat/local-liveness';
import { silentLogger } from '../../src/log';

/*
 * Embedded mode's handoff journal: one process per data dir, no Redis. Its replica id is the same
 * on every run, so the next start replays what a killed run had acked and not finished; leases are
 * files beside the journals.
 */

describe('handoff journal in embedded mode (file leases, one id across runs)', () => {
  let dir: string;
  const open: HandoffJournal[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-local-'));
  });
  afterEach(async () => {
    for (const j of open.splice(0)) await j.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const journal = async (replicaId = EMBEDDED_REPLICA): Promise<HandoffJournal> => {
    const j = new HandoffJournal({ dir, liveness: fileLiveness(dir), replicaId, scanMs: 60_000 });
    await j.start();
    open.push(j);
    return j;
  };
  /** A journal of a killed run: its fd and timers dropped without close(), its lease left to expire. */
  const killed = (j: HandoffJournal): void => {
    open.splice(open.indexOf(j), 1);
    const internals = j as unknown as { fd?: number; timers: NodeJS.Timeout[] };
    for (const t of internals.timers) clearInterval(t);
    if (internals.fd !== undefined) fs.closeSync(internals.fd);
  };

  it('the next run under the same id replays the entries the killed run left pending, once, and keeps one journal file', async () => {
    const before = await journal();
    const done = before.record('slack', '{"event_id":"Ev1"}');
    before.record('slack', '{"event_id":"Ev2"}', { retryNum: '1' });
    before.settle(done, true);
    killed(before);

    const after = await journal();
    const replayed: JournalEntry[] = [];
    after.register('slack', async (entry) => {
      replayed.push(entry);
      return true;
    });
    await after.takeOver();
    await new Promise((r) => setImmediate(r));
    expect(replayed.map((e) => [e.body, e.meta])).toEqual([['{"event_id":"Ev2"}', { retryNum: '1' }]]);
    expect(after.size).toBe(0);
    // The earlier run's file was taken in: only this run's remains, with nothing pending.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([`${EMBEDDED_REPLICA}.jsonl`]);
    expect(readPending(after.file)).toEqual([]);
  });

  it('a replay the run after cannot finish (killed again) is still there for the one after that, under the same entry id', async () => {
    const first = await journal();
    const entry = first.record('lark', '{"encrypt":"x"}', { app: 'cli_1' });
    killed(first);
    const second = await journal();
    second.register('lark', () => new Promise<boolean>(() => undefined));
    await second.takeOver();
    killed(second);
    const third = await journal();
    const ids: string[] = [];
    third.register('lark', async (e) => {
      ids.push(e.id);
      return true;
    });
    await third.takeOver();
    await new Promise((r) => setImmediate(r));
    // The same id: the dedupe claim the first run took with it is this replay's.
    expect(ids).toEqual([entry.token]);
  });

  it('leases: alive while held by a running process, not once released, expired, or held by a process that is gone', async () => {
    const live = fileLiveness(dir);
    await live.renew('local', 10_000);
    expect(await live.alive('local')).toBe(true);
    await live.release('local');
    expect(await live.alive('local')).toBe(false);
    await live.renew('local', 50);
    await new Promise((r) => setTimeout(r, 100));
    expect(await live.alive('local')).toBe(false);
    // A killed process's lease, not yet expired.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, 'local.lease'), JSON.stringify({ pid: Number(gone), host: os.hostname(), run: 'earlier', until: Date.now() + 10_000 }));
    expect(await live.alive('local')).toBe(false);
    // Our own pid under another run (a restarted container is pid 1 again): a killed run's.
    fs.writeFileSync(path.join(dir, 'local.lease'), JSON.stringify({ pid: process.pid, host: os.hostname(), run: 'earlier', until: Date.now() + 10_000 }));
    expect(await live.alive('local')).toBe(false);
  });

  it('a second process on the same data dir journals under an id of its own, which the first takes over once it stops', async () => {
    const live = fileLiveness(dir);
    const first = await journal(await embeddedReplicaId(live, silentLogger));
    expect(first.replicaId).toBe(EMBEDDED_REPLICA);
    // As another process would find it: the lease is held and alive.
    const otherId = await embeddedReplicaId(live, silentLogger);
    expect(otherId).not.toBe(EMBEDDED_REPLICA);
    const other = await journal(otherId);
    other.record('slack', '{"event_id":"Ev9"}');
    killed(other);
    await live.release(otherId);
    const replayed: string[] = [];
    first.register('slack', async (e) => {
      replayed.push(e.body);
      return true;
    });
    await first.takeOver();
    await new Promise((r) => setImmediate(r));
    expect(replayed).toEqual(['{"event_id":"Ev9"}']);
  });
});
