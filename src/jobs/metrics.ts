import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue } from './types';

/**
 * The process's Prometheus metrics (served at /metrics by src/server/metrics.ts). One registry
 * per process; the counters live here, low in the layers, so the places where events happen
 * can count them without importing the server.
 */
export const registry = new Registry();

export const metrics = {
  eventsReceived: new Counter({ name: 'understudy_events_received_total', help: 'Requests that reached a platform event endpoint', labelNames: ['platform'] as const, registers: [registry] }),
  eventsAcked: new Counter({ name: 'understudy_events_acked_total', help: 'Platform event requests answered with a 2xx (verified and acknowledged)', labelNames: ['platform'] as const, registers: [registry] }),
  eventsReplayed: new Counter({ name: 'understudy_events_replayed_total', help: 'Acked events handed off again from the handoff journal of a replica that stopped before handing them off', labelNames: ['platform'] as const, registers: [registry] }),
  journalWriteFailures: new Counter({ name: 'understudy_handoff_journal_write_failures_total', help: 'Appends to the handoff journal that failed or were cut short (a full or unwritable volume), by what they recorded: an acked event (handed off without an entry, so a kill -9 loses it) or a done mark', labelNames: ['record'] as const, registers: [registry] }),
  eventsDeduped: new Counter({ name: 'understudy_events_deduped_total', help: 'Events dropped as duplicates (a retry or a re-push of one already claimed)', labelNames: ['platform'] as const, registers: [registry] }),
  answers: new Counter({ name: 'understudy_answers_total', help: 'Answers by how they were composed: model, offline (quoted from the sources) or declined (nothing grounded)', labelNames: ['path'] as const, registers: [registry] }),
  modelErrors: new Counter({ name: 'understudy_model_errors_total', help: 'Failed language model calls, by reason', labelNames: ['reason'] as const, registers: [registry] }),
  jobDuration: new Histogram({
    name: 'understudy_job_duration_seconds',
    help: 'Time a job ran, by kind and outcome (completed, retry, dead)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  jobWait: new Histogram({
    name: 'understudy_job_wait_seconds',
    help: 'Time from enqueue (or the retry becoming due) to a worker starting the job, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
};

const watched = new Set<JobQueue>();
new Gauge({
  name: 'understudy_queue_depth',
  help: 'Jobs in the queue by state (waiting, delayed, active, dead)',
  labelNames: ['backend', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const q of watched) {
      const counts = await q.counts().catch(() => undefined);
      if (!counts) continue;
      for (const state of ['waiting', 'delayed', 'active', 'dead'] as const) this.inc({ backend: q.backend, state }, counts[state]);
    }
  },
});

/** Report this queue's depth on /metrics until it is unwatched. */
export function watchQueue(queue: JobQueue): () => void {
  watched.add(queue);
  return () => watched.delete(queue);
}

let defaults = false;
/** Process metrics (resident memory, CPU, event loop lag), started once by the server that serves them. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: registry, prefix: 'understudy_' });
}

/** An answer's path for the answers counter. */
export function answerPath(answer: { grounded: boolean; model: string }, offlineModel: string): 'model' | 'offline' | 'declined' {
  if (!answer.grounded) return 'declined';
  return answer.model === offlineModel ? 'offline' : 'model';
}
