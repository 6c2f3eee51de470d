import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { metrics } from '../jobs/metrics';
import { silentLogger } from '../log';

/*
 * The handoff journal of a web replica: every event it acks is appended here before the 200 goes
 * out, and marked done once the router has handed it off (deduped, rate-limited, enqueued or
 * answered). Platforms do not deliver an acked event again, so without it a kill -9 lost every
 * event acked and still waiting for its gates. One file per replica in the data directory (a
 * shared volume in production), `<dir>/<replicaId>.jsonl`; the replica holds a liveness lease for
 * it. A replica whose lease is gone leaves an orphan: another replica (or the same data dir's next
 * run) claims it by renaming it into its own name (atomic: two replicas never both get it), copies
 * the entries without a done mark into its own journal, and hands them off again.
 */

/** One acked event as it came in: enough to hand it off again without the request. */
export interface JournalEntry {
  /** Also the event's dedupe claim token (a replay may take over its own claim, see dedupe()). */
  id: string;
  /** When it was acked (epoch ms). */
  at: number;
  platform: string;
  /** The raw request body (utf-8), as verified. */
  body: string;
  /** What the hand-off needs besides the body (Slack's retry headers, Feishu's app id). */
  meta: Record<string, string>;
}

/**
 * An acked event on its way through the router: the token its dedupe claim carries, and the
 * hand-off work its listeners started (each resolves true once handed off, false on a failure
 * worth another try).
 */
export class Delivery {
  private readonly works: Promise<boolean>[] = [];

  constructor(readonly token: string) {}

  add(work: Promise<boolean>): void {
    this.works.push(work);
  }

  /** True when every piece of work added so far handed off (none added: nothing to hand off). */
  async outcome(): Promise<boolean> {
    return (await Promise.all(this.works)).every(Boolean);
  }
}

/** Hands a journaled entry off again (the platform adapter's path after the ack); resolves true when done. */
export type Replayer = (entry: JournalEntry, delivery: Delivery) => Promise<boolean>;

/** Who is alive: a replica renews its own lease; a journal whose owner's lease is gone may be claimed. */
export interface Liveness {
  renew(replicaId: string, ttlMs: number): Promise<void>;
  alive(replicaId: string): Promise<boolean>;
  release(replicaId: string): Promise<void>;
}

/** Leases as Redis keys with a TTL (`understudy:handoff:<replica>`), one per replica. */
export function redisLiveness(redis: Redis, prefix = 'understudy:handoff:'): Liveness {
  return {
    renew: async (id, ttlMs) => void (await redis.set(prefix + id, String(process.pid), 'PX', Math.ceil(ttlMs))),
    alive: async (id) => (await redis.exists(prefix + id)) === 1,
    release: async (id) => void (await redis.del(prefix + id)),
  };
}

export interface JournalOptions {
  /** `<data dir>/handoff`. */
  dir: string;
  liveness: Liveness;
  replicaId?: string;
  log?: Logger;
  /** Lease lifetime without renewal (renewed every third). Default 10 s. */
  leaseMs?: number;
  /** How often orphans are looked for (and failed hand-offs retried). Default 5 s. */
  scanMs?: number;
  /** The file starts over once every entry in it is done and it is at least this big. Default 1 MiB. */
  rotateBytes?: number;
  /** Tries of an entry whose hand-off failed (a store or queue error) before it is given up. Default 5. */
  maxAttempts?: number;
  /** Which stopped replicas' journals this one takes over (default: every one's). */
  adopts?: (owner: string) => boolean;
}

const EXT = '.jsonl';
/** Separates the claiming replica's id from the rest of a claimed file's name. */
const CLAIMED = '~';

/** A replica id safe in a file name, with no CLAIMED separator. */
export function newReplicaId(): string {
  return `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The replica a journal file belongs to: `<id>.jsonl`, or `<id>~<tag>.jsonl` while it claims it. */
export function ownerOf(file: string): string | undefined {
  if (!file.endsWith(EXT)) return undefined;
  return file.slice(0, -EXT.length).split(CLAIMED)[0] || undefined;
}

/**
 * The entries of a journal file that have no done mark, in order. A line that does not parse (the
 * last one torn by a crash mid-write) is skipped with a warning.
 */
export function readPending(file: string, log: Logger = silentLogger): JournalEntry[] {
  const entries = new Map<string, JournalEntry>();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let rec: { e?: JournalEntry; d?: string };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      log.warn({ file: path.basename(file), line: i + 1, last: i >= lines.length - 2 }, 'handoff journal: unreadable line skipped (torn by a crash?)');
      return;
    }
    if (rec.e && typeof rec.e.id === 'string' && typeof rec.e.body === 'string') entries.set(rec.e.id, rec.e);
    else if (typeof rec.d === 'string') entries.delete(rec.d);
  });
  return [...entries.values()];
}

/**
 * This replica's journal. `record` is on the ack path: one `fs.writeSync` on an O_APPEND
 * descriptor, no fsync. The page cache survives the process being killed (what we guard against);
 * an fsync per event would put a disk flush into every ack, and a machine crash loses the replica's
 * memory and the page cache alike.
 */
export class HandoffJournal {
  readonly replicaId: string;
  readonly file: string;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly liveness: Liveness;
  private readonly leaseMs: number;
  private readonly scanMs: number;
  private readonly rotateBytes: number;
  private readonly maxAttempts: number;
  private readonly adopts: ((owner: string) => boolean) | undefined;
  private readonly replayers = new Map<string, Replayer>();
  /** Entries without a done mark, with the hand-off attempts made. */
  private readonly pending = new Map<string, { entry: JournalEntry; attempts: number; retrying: boolean }>();
  /** Deliveries already settled: a replayer may track its delivery itself too (the Slack adapter does); the first outcome counts, once. */
  private readonly settled = new WeakSet<Delivery>();
  private fd: number | undefined;
  private written = 0;
  private timers: NodeJS.Timeout[] = [];
  private scanning: Promise<void> | undefined;
  private closed = false;

  constructor(options: JournalOptions) {
    this.dir = options.dir;
    this.liveness = options.liveness;
    this.replicaId = options.replicaId ?? newReplicaId();
    if (this.replicaId.includes(CLAIMED) || this.replicaId.includes('/')) throw new Error(`handoff journal: replica id "${this.replicaId}" must not contain "${CLAIMED}" or "/"`);
    this.log = (options.log ?? silentLogger).child({ journal: this.replicaId });
    this.leaseMs = options.leaseMs ?? 10_000;
    this.scanMs = options.scanMs ?? 5_000;
    this.rotateBytes = options.rotateBytes ?? 1 << 20;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.adopts = options.adopts;
    this.file = path.join(this.dir, `${this.replicaId}${EXT}`);
  }

  /** How a platform's entries are handed off again (claimed orphans, retries). */
  register(platform: string, replayer: Replayer): void {
    this.replayers.set(platform, replayer);
  }

  /** Events acked and not yet handed off. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Take the lease and open the file (before the first event is acked). A replica id kept across
   * runs (embedded mode) finds its earlier run's file: set aside under a claimed name, and its
   * pending entries replayed by takeOver as an orphan's would be.
   */
  async start(): Promise<void> {
    await this.liveness.renew(this.replicaId, this.leaseMs);
    if (fs.existsSync(this.file)) fs.renameSync(this.file, this.claimedName());
    this.open();
    const renew = setInterval(() => void this.liveness.renew(this.replicaId, this.leaseMs).catch((err: unknown) => this.log.warn({ err }, 'handoff journal: could not renew the lease')), Math.max(100, Math.floor(this.leaseMs / 3)));
    renew.unref();
    this.timers.push(renew);
  }

  /** Claim the orphans now and every scanMs (once every platform's replayer is registered and started). */
  async takeOver(): Promise<void> {
    const scan = setInterval(() => void this.scan(), this.scanMs);
    scan.unref();
    this.timers.push(scan);
    await this.scan();
  }

  private open(): void {
    // Raw event bodies: private messages, and the verification token Slack and Feishu put in them.
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.written = fs.fstatSync(this.fd).size;
  }

  /** Append an acked event (before its ack is written). */
  record(platform: string, body: string, meta: Record<string, string> = {}): Delivery {
    const entry: JournalEntry = { id: randomUUID(), at: Date.now(), platform, body, meta };
    this.append(JSON.stringify({ e: entry }));
    this.pending.set(entry.id, { entry, attempts: 0, retrying: false });
    return new Delivery(entry.id);
  }

  /** The hand-off of `delivery` ended: done when `ok`, else retried at the next scan (up to maxAttempts). */
  settle(delivery: Delivery, ok: boolean): void {
    if (this.settled.has(delivery)) return;
    this.settled.add(delivery);
    const item = this.pending.get(delivery.token);
    if (!item) return;
    item.attempts++;
    item.retrying = false;
    if (ok) return this.done(delivery.token);
    if (item.attempts >= this.maxAttempts) {
      this.log.error({ entry: delivery.token, platform: item.entry.platform, attempts: item.attempts }, 'handoff journal: an acked event could not be handed off; given up');
      this.done(delivery.token);
    }
  }

  /** Settle `delivery` once `work` (its hand-off) ends: failed when it rejects or answers false, or when any of its listeners' work failed. */
  async track(delivery: Delivery | undefined, work: Promise<unknown>): Promise<void> {
    const ok = await work.then(
      (result) => result !== false && (delivery ? delivery.outcome() : true),
      () => false,
    );
    if (delivery) this.settle(delivery, ok);
  }

  private done(id: string): void {
    this.pending.delete(id);
    if (this.closed) return;
    this.append(JSON.stringify({ d: id }));
    // Everything in the file is done: start it over rather than let it grow.
    if (this.pending.size === 0 && this.written >= this.rotateBytes && this.fd !== undefined) {
      fs.ftruncateSync(this.fd, 0);
      this.written = 0;
    }
  }

  private append(line: string): void {
    if (this.fd === undefined) throw new Error('handoff journal: not started');
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    fs.writeSync(this.fd, bytes);
    this.written += bytes.length;
  }

  /** Claim orphans and retry failed hand-offs; one scan at a time. */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce()
      .catch((err: unknown) => this.log.warn({ err }, 'handoff journal: scan failed'))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.closed) return;
    this.keepOwnFile();
    for (const item of this.pending.values()) {
      if (item.attempts > 0 && !item.retrying) {
        item.retrying = true;
        void this.handOff(item.entry, false);
      }
    }
    for (const name of fs.readdirSync(this.dir)) {
      const owner = ownerOf(name);
      if (!owner || this.closed) continue;
      if (owner === this.replicaId) {
        // Claimed files are adopted at once (no await in between): one of this id is an earlier run's.
        if (name !== path.basename(this.file)) this.adopt(path.join(this.dir, name), owner);
        continue;
      }
      if (this.adopts && !this.adopts(owner)) continue;
      if (await this.liveness.alive(owner)) continue;
      const claimed = this.claimedName();
      try {
        fs.renameSync(path.join(this.dir, name), claimed);
      } catch (err) {
        // Another replica renamed it first.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      this.adopt(claimed, owner);
    }
  }

  /** A new name of this replica's for a file it takes over: `<id>~<tag>.jsonl`. */
  private claimedName(): string {
    return path.join(this.dir, `${this.replicaId}${CLAIMED}${randomUUID().slice(0, 8)}${EXT}`);
  }

  /**
   * Take a claimed file's pending entries into this journal (same ids), delete the file, and hand
   * them off. A crash in between leaves them in both files: replayed twice, answered once (the
   * claim token is the entry id, see dedupe()).
   */
  private adopt(file: string, owner: string): void {
    const entries = readPending(file, this.log);
    for (const entry of entries) {
      this.append(JSON.stringify({ e: entry }));
      this.pending.set(entry.id, { entry, attempts: 0, retrying: true });
    }
    fs.unlinkSync(file);
    this.log.info({ from: owner, events: entries.length }, entries.length > 0 ? 'handoff journal: replaying the events a stopped replica acked and did not hand off' : 'handoff journal: claimed an empty journal of a stopped replica');
    for (const entry of entries) void this.handOff(entry, true);
  }

  private async handOff(entry: JournalEntry, replay: boolean): Promise<void> {
    const replayer = this.replayers.get(entry.platform);
    const delivery = new Delivery(entry.id);
    if (!replayer) {
      this.log.error({ entry: entry.id, platform: entry.platform }, 'handoff journal: no platform configured here takes this entry');
      return this.settle(delivery, false);
    }
    if (replay) metrics.eventsReplayed.inc({ platform: entry.platform });
    await this.track(delivery, replayer(entry, delivery));
  }

  /**
   * A replica paused past its lease may find its file claimed by another: start a new one with
   * what is still pending (handed off twice at worst, answered once).
   */
  private keepOwnFile(): void {
    if (this.fd === undefined) return;
    let same = false;
    try {
      same = fs.statSync(this.file).ino === fs.fstatSync(this.fd).ino;
    } catch {
      same = false;
    }
    if (same) return;
    this.log.warn({ pending: this.pending.size }, 'handoff journal: another replica claimed this journal (the lease lapsed); starting a new one');
    fs.closeSync(this.fd);
    this.open();
    for (const { entry } of this.pending.values()) this.append(JSON.stringify({ e: entry }));
  }

  /**
   * Stop: with nothing pending the file is deleted; otherwise it stays for another replica (or the
   * next run) to claim. The lease is released either way, so that happens at its next scan.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.scanning;
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
      if (this.pending.size === 0) fs.rmSync(this.file, { force: true });
      else this.log.warn({ pending: this.pending.size }, 'handoff journal: stopped with events not handed off; another replica replays them');
    }
    await this.liveness.release(this.replicaId).catch((err: unknown) => this.log.warn({ err }, 'handoff journal: could not release the lease'));
  }
}
