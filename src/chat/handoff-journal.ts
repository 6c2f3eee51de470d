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
  /**
   * Past this size the file is rewritten with only its pending entries (and again each time it
   * doubles), at a scan; it starts over at once when nothing in it is pending. Default 1 MiB.
   */
  rotateBytes?: number;
  /** Tries of an entry whose hand-off failed (a store or queue error) before it is given up. Default 5. */
  maxAttempts?: number;
  /** Which stopped replicas' journals this one takes over (default: every one's). */
  adopts?: (owner: string) => boolean;
  /** How a line is written (fs.writeSync; tests pass one that fails part way, as on a full disk). */
  writeSync?: (fd: number, bytes: Buffer) => number;
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

/** A line longer than this is no entry of ours (a body is at most 2 MB; JSON escapes can grow it a few times). */
const MAX_LINE_BYTES = 64 << 20;
const READ_CHUNK = 1 << 16;

/** The entry a parsed line holds, its done mark, or undefined when it is neither. */
function entryOf(rec: unknown): { e: JournalEntry } | { d: string } | undefined {
  if (!rec || typeof rec !== 'object') return undefined;
  const { e, d } = rec as { e?: Partial<JournalEntry>; d?: unknown };
  if (e && typeof e === 'object' && typeof e.id === 'string' && typeof e.platform === 'string' && typeof e.body === 'string') {
    return { e: { id: e.id, at: typeof e.at === 'number' ? e.at : 0, platform: e.platform, body: e.body, meta: e.meta && typeof e.meta === 'object' ? e.meta : {} } };
  }
  return typeof d === 'string' ? { d } : undefined;
}

/**
 * The entries of a journal file that have no done mark, in order. Read line by line, so no size
 * of file breaks it; a line that is not an entry or a done mark (the last one torn by a crash
 * mid-write, one cut short by a full disk, garbage) is skipped with a warning.
 */
export function readPending(file: string, log: Logger = silentLogger): JournalEntry[] {
  const entries = new Map<string, JournalEntry>();
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  const take = (last: boolean): void => {
    lineNo++;
    const text = tooLong ? undefined : Buffer.concat(parts, partBytes).toString('utf8');
    parts = [];
    partBytes = 0;
    tooLong = false;
    if (text === '') return;
    let rec: ReturnType<typeof entryOf>;
    try {
      rec = text === undefined ? undefined : entryOf(JSON.parse(text));
    } catch {
      rec = undefined;
    }
    if (!rec) log.warn({ file: path.basename(file), line: lineNo, last }, 'handoff journal: unreadable line skipped (torn by a crash?)');
    else if ('e' in rec) entries.set(rec.e.id, rec.e);
    else entries.delete(rec.d);
  };
  const add = (bytes: Buffer): void => {
    if (tooLong || bytes.length === 0) return;
    if (partBytes + bytes.length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(Buffer.from(bytes));
    partBytes += bytes.length;
  };
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      const chunk = buf.subarray(0, n);
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        add(chunk.subarray(start, nl));
        take(false);
        start = nl + 1;
      }
      add(chunk.subarray(start));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (partBytes > 0 || tooLong) take(true);
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
  private readonly writeSync: (fd: number, bytes: Buffer) => number;
  private readonly replayers = new Map<string, Replayer>();
  /** Entries without a done mark, with the hand-off attempts made. */
  private readonly pending = new Map<string, { entry: JournalEntry; attempts: number; retrying: boolean }>();
  /** Deliveries already settled: a replayer may track its delivery itself too (the Slack adapter does); the first outcome counts, once. */
  private readonly settled = new WeakSet<Delivery>();
  /** Claimed files whose entries could not be copied into this journal: kept, and copied again at each scan. */
  private readonly held = new Map<string, string[]>();
  private fd: number | undefined;
  private written = 0;
  /** The last append failed or was cut short: the next starts on a new line (the reader skips the fragment). */
  private torn = false;
  /** The file's size after the last rewrite (compact). */
  private compactedAt = 0;
  /** Appends are failing (logged once when it starts): the events acked without an entry since. */
  private failing: { unjournaled: number } | undefined;
  private started = false;
  /** Shutdown began (drain): nothing is handed off again, and a refusal uses no attempt. */
  private draining = false;
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
    this.writeSync = options.writeSync ?? ((fd, bytes) => fs.writeSync(fd, bytes));
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
    this.started = true;
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
    this.torn = false;
  }

  /** Whether events may be recorded: started and not yet closed (a process stopping closes it before its server). */
  get recording(): boolean {
    return this.started && !this.closed;
  }

  /**
   * Append an acked event (before its ack is written). When the journal cannot be written (a full
   * or unwritable volume) the event is acked and handed off all the same, without an entry: chat
   * goes on, and only a kill -9 in the meantime loses what was in flight.
   */
  record(platform: string, body: string, meta: Record<string, string> = {}): Delivery {
    const entry: JournalEntry = { id: randomUUID(), at: Date.now(), platform, body, meta };
    if (this.append(JSON.stringify({ e: entry }), 'event')) this.pending.set(entry.id, { entry, attempts: 0, retrying: false });
    return new Delivery(entry.id);
  }

  /** The hand-off of `delivery` ended: done when `ok`, else retried at the next scan (up to maxAttempts). */
  settle(delivery: Delivery, ok: boolean): void {
    if (this.settled.has(delivery)) return;
    this.settled.add(delivery);
    const item = this.pending.get(delivery.token);
    if (!item) return;
    item.retrying = false;
    if (ok) return this.done(delivery.token);
    // Refused while shutting down: it stays as it was, for the next run or another replica.
    if (this.draining) return;
    item.attempts++;
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
    this.append(JSON.stringify({ d: id }), 'done');
    // Everything in the file is done: start it over rather than let it grow.
    if (this.pending.size === 0 && this.written >= this.rotateBytes) this.truncate();
  }

  /**
   * Keep no more of what is done than needed (raw bodies: private messages, verification tokens):
   * once nothing is pending the file starts over; past rotateBytes it is rewritten with only what
   * is pending, so a hand-off that never settles does not keep it growing.
   */
  private trim(): void {
    if (this.pending.size === 0) {
      if (this.written > 0) this.truncate();
    } else if (this.written >= Math.max(this.rotateBytes, 2 * this.compactedAt)) this.compact();
  }

  private truncate(): void {
    if (this.fd === undefined) return;
    try {
      fs.ftruncateSync(this.fd, 0);
    } catch (err) {
      return this.log.warn({ err, path: this.file }, 'handoff journal: could not start the file over');
    }
    this.written = 0;
    this.compactedAt = 0;
    this.torn = false;
  }

  /**
   * Rewrite the file with only the pending entries: written aside, flushed, renamed over it (a
   * crash leaves the old file or the new). The name aside is a claimed file's of this replica, so
   * one left by a crash is taken over (its entries are the file's own: replayed once).
   */
  private compact(): void {
    const aside = path.join(this.dir, `${this.replicaId}${CLAIMED}compacting${EXT}`);
    let fd: number | undefined;
    try {
      fd = fs.openSync(aside, 'w', 0o600);
      for (const { entry } of this.pending.values()) {
        const bytes = Buffer.from(`${JSON.stringify({ e: entry })}\n`, 'utf8');
        if (fs.writeSync(fd, bytes) !== bytes.length) throw new Error('handoff journal: short write');
      }
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(aside, this.file);
    } catch (err) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(aside, { force: true });
      // Tried again once the file has doubled.
      this.compactedAt = this.written;
      return this.log.warn({ err, path: this.file }, 'handoff journal: could not rewrite the file with only its pending entries');
    }
    const old = this.fd;
    this.fd = undefined;
    if (old !== undefined) fs.closeSync(old);
    this.open();
    this.compactedAt = this.written;
  }

  /** Append a line; false when the write failed or was cut short (a full disk), logged once per run of failures. */
  private append(line: string, record: 'event' | 'done'): boolean {
    if (!this.started || this.closed) throw new Error(`handoff journal: ${this.closed ? 'closed' : 'not started'}`);
    const bytes = Buffer.from(`${this.torn ? '\n' : ''}${line}\n`, 'utf8');
    let wrote = 0;
    let error: NodeJS.ErrnoException | undefined;
    try {
      // No file while a reopen failed (keepOwnFile): as a failed write.
      if (this.fd === undefined) throw Object.assign(new Error('handoff journal: no file open'), { code: 'ENOENT' });
      wrote = this.writeSync(this.fd, bytes);
    } catch (err) {
      error = err as NodeJS.ErrnoException;
    }
    this.written += wrote;
    if (wrote === bytes.length) {
      this.torn = false;
      if (this.failing) this.log.warn({ path: this.file, unjournaled: this.failing.unjournaled }, 'handoff journal: writable again');
      this.failing = undefined;
      return true;
    }
    // A write that throws may have written part of the line first (libuv writes on until an error).
    this.torn = true;
    metrics.journalWriteFailures.inc({ record });
    if (!this.failing) {
      this.failing = { unjournaled: 0 };
      this.log.error({ path: this.file, code: error?.code ?? 'short write', err: error, wrote, bytes: bytes.length }, 'handoff journal: cannot write; acked events are handed off without it (a kill -9 loses those in flight) until it can');
    }
    if (record === 'event') this.failing.unjournaled++;
    return false;
  }

  /**
   * Shutdown began (before the platforms stop): take no orphan over and retry nothing from now
   * on, and let a hand-off that fails or is refused meanwhile use no attempt. A scan after a
   * platform stopped found no app for its entries and dropped them as done; retries refused while
   * draining were given up after maxAttempts.
   */
  drain(): void {
    this.draining = true;
  }

  /** Claim orphans and retry failed hand-offs; one scan at a time. */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce()
      .catch((err: unknown) => this.log.warn({ err }, 'handoff journal: scan failed'))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.closed || this.draining) return;
    this.keepOwnFile();
    this.trim();
    for (const [file, ids] of this.held) this.copyOver(file, ids);
    for (const item of this.pending.values()) {
      if (item.attempts > 0 && !item.retrying) {
        item.retrying = true;
        void this.handOff(item.entry, false);
      }
    }
    for (const name of fs.readdirSync(this.dir)) {
      if (this.closed || this.draining) return;
      // One journal that cannot be read or copied leaves the others to be taken over.
      await this.claim(name).catch((err: unknown) => this.log.warn({ err, file: name }, 'handoff journal: could not take over a journal; trying again at the next scan'));
    }
  }

  /** Take over `name` if it is an orphan (or an earlier run's file of this id). */
  private async claim(name: string): Promise<void> {
    const owner = ownerOf(name);
    if (!owner) return;
    const file = path.join(this.dir, name);
    if (owner === this.replicaId) {
      // Claimed files are adopted at once (no await in between): one of this id is an earlier run's.
      if (file !== this.file && !this.held.has(file)) this.adopt(file, owner);
      return;
    }
    if (this.adopts && !this.adopts(owner)) return;
    if (await this.liveness.alive(owner)) return;
    if (this.closed || this.draining) return;
    const claimed = this.claimedName();
    try {
      fs.renameSync(file, claimed);
    } catch (err) {
      // Another replica renamed it first.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.adopt(claimed, owner);
  }

  /** A new name of this replica's for a file it takes over: `<id>~<tag>.jsonl`. */
  private claimedName(): string {
    return path.join(this.dir, `${this.replicaId}${CLAIMED}${randomUUID().slice(0, 8)}${EXT}`);
  }

  /**
   * Take a claimed file's pending entries into this journal (same ids), delete the file, and hand
   * them off. A crash in between leaves them in both files: replayed twice, answered once (the
   * claim token is the entry id, see dedupe()). Entries that cannot be copied (a full disk) are
   * handed off all the same, their file kept until they are copied or done.
   */
  private adopt(file: string, owner: string): void {
    const entries = readPending(file, this.log).filter((e) => !this.pending.has(e.id));
    for (const entry of entries) this.pending.set(entry.id, { entry, attempts: 0, retrying: true });
    this.copyOver(file, entries.map((e) => e.id));
    this.log.info({ from: owner, events: entries.length }, entries.length > 0 ? 'handoff journal: replaying the events a stopped replica acked and did not hand off' : 'handoff journal: claimed an empty journal of a stopped replica');
    for (const entry of entries) void this.handOff(entry, true);
  }

  /** Copy what is still pending of a claimed file's entries (`ids`) into this journal, then delete the file; kept while that fails. */
  private copyOver(file: string, ids: string[]): void {
    const left = ids.flatMap((id) => this.pending.get(id) ?? []);
    try {
      if (!left.every(({ entry }) => this.append(JSON.stringify({ e: entry }), 'event'))) throw new Error('handoff journal: entries not copied');
      fs.rmSync(file, { force: true });
      this.held.delete(file);
    } catch {
      this.held.set(file, ids);
    }
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
    if (!this.started) return;
    if (this.fd !== undefined) {
      let same = false;
      try {
        same = fs.statSync(this.file).ino === fs.fstatSync(this.fd).ino;
      } catch {
        same = false;
      }
      if (same) return;
      this.log.warn({ pending: this.pending.size }, 'handoff journal: another replica claimed this journal (the lease lapsed); starting a new one');
      const fd = this.fd;
      this.fd = undefined;
      fs.closeSync(fd);
    }
    // Throws on an unwritable volume: events go on without the journal, and the next scan tries again.
    this.open();
    for (const { entry } of this.pending.values()) this.append(JSON.stringify({ e: entry }), 'event');
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
      if (this.pending.size === 0) for (const f of [this.file, ...this.held.keys()]) fs.rmSync(f, { force: true });
      else this.log.warn({ pending: this.pending.size }, 'handoff journal: stopped with events not handed off; another replica replays them');
    }
    await this.liveness.release(this.replicaId).catch((err: unknown) => this.log.warn({ err }, 'handoff journal: could not release the lease'));
  }
}
