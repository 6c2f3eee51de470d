import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { newReplicaId, type Liveness } from './handoff-journal';

/*
 * Handoff journal leases without Redis (embedded mode: one process per data dir). A lease is a
 * small file beside the journals, `<dir>/<replica>.lease`, holding the process id, host and expiry;
 * it is alive while not expired and its process still runs. The journal of the embedded process
 * keeps one id across runs (EMBEDDED_REPLICA), so the next start finds what a killed run left.
 */

/** The replica id of an embedded process: the same on every run over the same data dir. */
export const EMBEDDED_REPLICA = 'local';

/** This process, told apart from a killed one that had its pid (a restarted container is pid 1 again). */
const RUN = randomUUID();

interface LeaseFile {
  pid: number;
  host: string;
  run: string;
  /** Expiry, epoch ms. */
  until: number;
}

function leaseFile(dir: string, id: string): string {
  return path.join(dir, `${id}.lease`);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function fileLiveness(dir: string): Liveness {
  return {
    async renew(id, ttlMs) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const lease: LeaseFile = { pid: process.pid, host: os.hostname(), run: RUN, until: Date.now() + Math.ceil(ttlMs) };
      fs.writeFileSync(leaseFile(dir, id), JSON.stringify(lease), { mode: 0o600 });
    },
    async alive(id) {
      let lease: LeaseFile;
      try {
        lease = JSON.parse(fs.readFileSync(leaseFile(dir, id), 'utf8')) as LeaseFile;
      } catch {
        return false;
      }
      if (!(lease.until > Date.now())) return false;
      if (lease.host !== os.hostname()) return true;
      return lease.pid === process.pid ? lease.run === RUN : running(lease.pid);
    },
    async release(id) {
      fs.rmSync(leaseFile(dir, id), { force: true });
    },
  };
}

/**
 * EMBEDDED_REPLICA, unless another live process holds it (two processes on one data dir): then an
 * id of this run's, whose journal the other takes over once this one stops.
 */
export async function embeddedReplicaId(liveness: Liveness, log: Logger): Promise<string> {
  if (!(await liveness.alive(EMBEDDED_REPLICA))) return EMBEDDED_REPLICA;
  const id = newReplicaId();
  log.warn({ replica: id }, 'handoff journal: another process serves this data dir; this one journals under an id of its own');
  return id;
}
