import path from 'node:path';
import { mountWebPlayground } from './adapters/playground/web';
import { assertPlaygroundBinding, playgroundHost } from './adapters/playground/web-guard';
import { runTerminalChat } from './cli/terminal-chat';
import { PLATFORM_FACTORIES } from './adapters';
import type { PlatformAdapter } from './adapters/platform';
import { guardOf } from './answer/model-guard';
import { startEventPruning } from './chat/event-pruning';
import { HandoffJournal, newReplicaId, redisLiveness } from './chat/handoff-journal';
import { embeddedReplicaId, fileLiveness } from './chat/local-liveness';
import { answerHandler, handOffAnswers, tellAnswerGivenUp, type TransportFinder } from './chat/answer-handoff';
import { distillJobHandler, tellDistillGivenUp, type DistillJob } from './distill/chat-feature';
import { summarizeJobHandler, tellSummaryGivenUp, type SummarizeJob } from './summarize/chat-feature';
import { Semaphore } from './chat/lanes';
import { createChatRouter } from './chat/setup';
import { println, type CliIo } from './cli/io';
import { renderIngestReport } from './cli/render';
import type { IngestReport } from './retrieval/ingest';
import { UnderstudyError } from './errors';
import { forgetAnswerProgress, type AnswerJob } from './jobs/answer-job';
import { watchQueue } from './jobs/metrics';
import { createJobQueue } from './jobs/queue';
import type { JobHandlers, JobQueue, JobWorker, WorkerOptions } from './jobs/types';
import type { ChatRouter } from './chat/router';
import type { Runtime } from './app/runtime';
import { LARK_EVENTS_PATH } from './adapters/lark/adapter';
import { SLACK_EVENTS_PATH } from './adapters/slack/adapter';
import { HttpServer } from './server/http-server';
import { mountMcp } from './mcp/http';
import { mountAdminConsole } from './server/admin/console';
import { enqueueIngests, ingestHandler } from './server/ingest-jobs';
import { mountMetrics } from './server/metrics';
import { connectRedis } from './store/redis-connection';
import { watchIndexes, type IndexWatch } from './retrieval/index-watch';
import type { Redis } from 'ioredis';

export interface ServeHandle {
  port: number;
  /** The address listened on; undefined is all interfaces. */
  host: string | undefined;
  router: import('./chat/router').ChatRouter;
  platforms: PlatformAdapter[];
  server: HttpServer;
  role: ServeRole;
  /** Background jobs: in process, or BullMQ on REDIS_URL. */
  queue: JobQueue;
  /** The handoff journal of the events this process acks (none on a worker, or a web replica without Redis). */
  journal: HandoffJournal | undefined;
  /** Resolves when the process should exit (terminal chat ended, or a signal). */
  done: Promise<void>;
  close(): Promise<void>;
}

/**
 * What a replica does. `web` verifies and acks chat, runs the gates and enqueues the answers
 * (Slack and Feishu; the playground answers in place) and background work; `worker` runs the jobs
 * (answers through the platforms' transports) and serves only /healthz, /readyz and /metrics; `all` (the default)
 * does both. Replicas other than `all` share their queue through Redis.
 */
export const SERVE_ROLES = ['all', 'web', 'worker'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

export interface ServeOptions {
  interactive?: boolean;
  role?: ServeRole;
}

/** The start of a role all process's handoff journal id (with Redis), which web replicas leave alone. */
const ROLE_ALL_REPLICA = 'all-';

/** Ingests a replica runs at once: each holds a whole corpus in memory. */
const WORKER_CONCURRENCY = 1;

const SETUP_HELP = `No chat platform is configured, so Understudy is serving the local playground only.

To connect Slack, set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (plus SLACK_APP_TOKEN and
SLACK_MODE=socket for Socket Mode), then point the app's request URL at POST /slack/events.
To connect Feishu/Lark, set LARK_APP_ID, LARK_APP_SECRET and LARK_ENCRYPT_KEY (or
LARK_VERIFICATION_TOKEN), then point the event URL at POST /lark/events (or LARK_MODE=ws).
Set OPENAI_API_KEY / OPENAI_BASE_URL to answer with a model instead of quoting.
See README.md for app manifests: \`understudy manifest <slug> --platform slack|lark\`.`;

/**
 * Bring every active avatar's index up to date through the ingest jobs; a broken avatar is
 * reported, not fatal. `wait`: until every ingest has finished (a replica that also works);
 * a web replica only enqueues them for the workers.
 */
async function prepareAvatars(runtime: Runtime, io: CliIo, queue: JobQueue, wait: boolean): Promise<void> {
  const { service, log } = runtime;
  for (const bad of service.registry.invalid) log.error({ dir: bad.dir, code: bad.error.code, err: bad.error }, bad.error.message);
  const jobs = await enqueueIngests(runtime, queue);
  if (!wait) {
    if (jobs.length > 0) log.info({ avatars: jobs.map((j) => j.slug) }, 'ingests enqueued for the workers');
    return;
  }
  for (const { id } of jobs) {
    // The handler logged a failure with its error; a dead job needs no second line here.
    const done = await queue.waitFor(id, 24 * 3600_000);
    const report = done.state === 'completed' ? (done.result as IngestReport) : undefined;
    if (report && (report.filesRead > 0 || report.filesRemoved > 0)) println(io.stderr, renderIngestReport(report));
  }
}

/** The transport of a platform's app, as the worker's jobs post through it. */
function platformTransport(platforms: PlatformAdapter[]): TransportFinder {
  return (platform, appId) => platforms.find((p) => p.name === platform)?.transportFor(appId);
}

/**
 * A worker's jobs: answers, summaries and distillations from the web replicas (several at once,
 * through the platforms' transports) and ingests, still one at a time since each holds a whole
 * corpus in memory.
 */
function workerHandlers(runtime: Runtime, router: ChatRouter, platforms: PlatformAdapter[], queue: JobQueue): JobHandlers {
  const ingests = new Semaphore(WORKER_CONCURRENCY);
  const ingest = ingestHandler(runtime);
  const transportFor = platformTransport(platforms);
  return {
    ingest: (job) => ingests.run(() => ingest(job)),
    answer: answerHandler(router, transportFor, runtime.service.store, runtime.log, queue),
    summarize: summarizeJobHandler(runtime, transportFor),
    distill: distillJobHandler(router, runtime, transportFor),
  };
}

/**
 * A worker's onDead: work given up for good is not left on its placeholder or progress message;
 * whoever asked for it is told, once. Ingests start with the replica, not from chat: nobody to tell.
 */
export function tellJobGivenUp(runtime: Runtime, transportFor: TransportFinder): NonNullable<WorkerOptions['onDead']> {
  const { store } = runtime.service;
  return (job) => {
    if (job.kind === 'answer') return tellAnswerGivenUp({ id: job.id, data: job.data as AnswerJob }, transportFor, store, runtime.log);
    if (job.kind === 'summarize') return tellSummaryGivenUp({ id: job.id, data: job.data as SummarizeJob, error: job.error }, transportFor, store, runtime.log);
    if (job.kind === 'distill') return tellDistillGivenUp({ id: job.id, data: job.data as DistillJob, error: job.error }, transportFor, runtime);
    return undefined;
  };
}

/** `understudy serve`: health endpoint, platforms when configured, otherwise the playground. */
export async function serve(runtime: Runtime, io: CliIo, options: ServeOptions = {}): Promise<ServeHandle> {
  const role = options.role ?? 'all';
  // Production mode: PostgreSQL and Redis answer (and are migrated) before anything listens.
  await runtime.ready();
  const redisUrl = runtime.config.redisUrl;
  if (role !== 'all' && !redisUrl) {
    throw new UnderstudyError(
      'CONFIG_INVALID',
      `serve --role ${role} needs REDIS_URL and DATABASE_URL: web and worker replicas share their job queue through Redis and their state through PostgreSQL. Set REDIS_URL=redis://host:6379/0 and DATABASE_URL=postgres://user:password@host:5432/database, or run --role all (the default) for one process that does both.`,
      { details: { variables: ['REDIS_URL', 'DATABASE_URL'], role } },
    );
  }
  const server = new HttpServer(runtime.log);
  mountMetrics(server);
  server.meterEvents(SLACK_EVENTS_PATH, 'slack');
  server.meterEvents(LARK_EVENTS_PATH, 'lark');
  // A web replica hands answers to the workers (answer jobs); `queue` exists before the first event arrives.
  const router = createChatRouter(runtime, role === 'web' ? { handOff: (ctx) => handOffAnswers(queue)(ctx) } : {});
  // A worker takes no chat traffic (no routes, no connections, no playground); it posts answers through its platforms' transports.
  const platforms = PLATFORM_FACTORIES.map((f) => f(runtime, router)).filter((p): p is PlatformAdapter => p !== undefined);
  const guard = guardOf(runtime.service.model);
  server.setHealth(() => {
    // A model behind an open breaker is `degraded`: answers still go out, quoted from the sources.
    const modelHealth = guard?.health();
    return {
      status: modelHealth?.state ?? 'ok',
      role,
      queue: queue.backend,
      avatars: runtime.service.registry.list().map((a) => ({ slug: a.config.slug, status: a.config.status })),
      platforms: Object.fromEntries(platforms.map((p) => [p.name, p.health()])),
      model: runtime.config.llm ? runtime.config.llm.model : 'offline-extractive',
      ...(modelHealth ? { model_health: modelHealth } : {}),
    };
  });
  const playground = role !== 'worker' && (platforms.length === 0 || runtime.config.playground);
  // With the playground on, listen on loopback unless HOST says otherwise (and then a token is required).
  const host = playground ? playgroundHost(runtime.config.host) : runtime.config.host;
  if (playground) {
    assertPlaygroundBinding(host ?? '0.0.0.0', runtime.config.playgroundToken);
    mountWebPlayground(server, router, { host: host ?? '0.0.0.0', token: runtime.config.playgroundToken });
  }
  // POST /mcp: the MCP server for callers holding a token from MCP_TOKENS (README "MCP server").
  if (role !== 'worker') mountMcp(server, runtime);
  const interactive = role !== 'worker' && platforms.length === 0 && (options.interactive ?? io.isTTY);
  // Log lines would interleave with the terminal chat: keep only warnings unless asked.
  if (interactive && !runtime.config.env.LOG_LEVEL) runtime.log.level = 'warn';
  // Everything that may refuse to start (platform settings, the playground binding) has been checked.
  const queue = createJobQueue({ redisUrl, name: runtime.config.queueName, log: runtime.log, lockMs: runtime.config.jobLockMs });
  // A web replica hands summaries and distillations started from chat to the workers too.
  if (role === 'web') runtime.jobs = queue;
  // The admin console (/admin) on every replica that takes web traffic; the built /assets come with the playground, or from here without it.
  if (role !== 'worker') mountAdminConsole(server, runtime, { queue, serveAssets: !playground });
  let redis: Redis | undefined;
  let worker: JobWorker | undefined;
  let indexWatch: IndexWatch | undefined;
  const unwatchQueue = watchQueue(queue);
  const release = async (): Promise<void> => {
    if (runtime.jobs === queue) runtime.jobs = undefined;
    await worker?.close();
    await queue.close();
    unwatchQueue();
    await indexWatch?.close();
    redis?.disconnect();
  };
  let port: number;
  try {
    // Fails fast, naming REDIS_URL, when Redis cannot be reached at start.
    redis = redisUrl ? await connectRedis(redisUrl) : undefined;
    redis?.on('error', (err) => runtime.log.warn({ err }, 'Redis connection error'));
    // Index versions published here are announced to the other replicas, and theirs loaded at once.
    if (redisUrl) {
      indexWatch = await watchIndexes(redisUrl, (slug) => runtime.service.indexPublished(slug), runtime.log).catch((err: unknown) => {
        runtime.log.error({ err }, 'index announcements unavailable; replicas pick new index versions up by checking the pointer');
        return undefined;
      });
    }
    const store = runtime.service.store;
    server.readinessCheck('database', () => store.ping());
    if (redis) server.readinessCheck('redis', async () => void (await (redis as Redis).ping()));
    server.readinessCheck('queue', () => queue.ping());
    port = await server.listen(runtime.config.port, host);
  } catch (err) {
    await release();
    throw err;
  }
  runtime.log.info({ port, host: host ?? 'all interfaces', role }, 'listening');
  // A web replica journals every event it acks until the event is handed off, and hands off those
  // of web replicas that died first (their lease gone); the journals live in the shared data dir.
  // Role all journals each until it is answered; embedded (no Redis), under one id across runs, so
  // the next start answers what a killed run had acked. A web replica leaves the journals of role
  // all to those processes: their dedupe claims are held in PostgreSQL by the entry's id, which a
  // worker's durable claim (a fresh owner) would take for a duplicate.
  let journal: HandoffJournal | undefined;
  const journalDir = path.join(runtime.config.dataDir, 'handoff');
  if (role === 'web' && redis) journal = new HandoffJournal({ dir: journalDir, liveness: redisLiveness(redis), log: runtime.log, adopts: (owner) => !owner.startsWith(ROLE_ALL_REPLICA) });
  else if (role === 'all') {
    const liveness = redis ? redisLiveness(redis) : fileLiveness(journalDir);
    const replicaId = redis ? `${ROLE_ALL_REPLICA}${newReplicaId()}` : await embeddedReplicaId(liveness, runtime.log);
    journal = new HandoffJournal({ dir: journalDir, liveness, log: runtime.log, replicaId });
  }

  try {
    if (role === 'all') worker = queue.process({ ingest: ingestHandler(runtime) }, { concurrency: WORKER_CONCURRENCY });
    if (role === 'worker') {
      for (const p of platforms) await p.startSending();
      worker = queue.process(workerHandlers(runtime, router, platforms, queue), {
        concurrency: Math.max(WORKER_CONCURRENCY, runtime.config.answerConcurrency),
        // The queue keeps a completed answer's id: its progress record has done its work.
        // A summary's record of the replies it posted is kept under its job id.
        onCompleted: (job) => (job.kind === 'answer' ? forgetAnswerProgress(runtime.service.store, (job.data as AnswerJob).event.eventId) : job.kind === 'summarize' ? forgetAnswerProgress(runtime.service.store, job.id) : undefined),
        onDead: tellJobGivenUp(runtime, platformTransport(platforms)),
      });
    }
    if (role !== 'worker') await prepareAvatars(runtime, io, queue, role === 'all');
    if (journal) {
      await journal.start();
      for (const p of platforms) p.useJournal?.(journal);
    }
    if (role !== 'worker') for (const p of platforms) await p.start(server);
    await journal?.takeOver();
  } catch (err) {
    // Fail fast (bad token, missing secret) without leaving the port open.
    for (const p of platforms) await p.stop().catch(() => undefined);
    await journal?.close().catch(() => undefined);
    await server.close();
    await release();
    throw err;
  }
  server.markReady();
  const stopPruning = startEventPruning(runtime.service.store, runtime.log);

  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let closing: Promise<void> | undefined;
  // SIGTERM: stop taking work, give in-flight answers UNDERSTUDY_SHUTDOWN_TIMEOUT_MS, then go.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const started = Date.now();
      const timeoutMs = runtime.config.shutdownTimeoutMs;
      server.markReady(false);
      runtime.log.info({ timeout_ms: timeoutMs }, 'shutting down: taking no new work, finishing what is in flight');
      // Before the platforms stop: what the journal holds stays pending for the next run, not retried into the refusals.
      journal?.drain();
      const drained = router.shutdown(timeoutMs);
      // Adapters wait for router.idle(), which the shutdown deadline bounds.
      for (const p of platforms) await p.stop().catch((err: unknown) => runtime.log.warn({ err, platform: p.name }, 'platform did not stop cleanly'));
      const summary = await drained;
      await journal?.close().catch((err: unknown) => runtime.log.warn({ err }, 'handoff journal did not close cleanly'));
      stopPruning();
      // A job cut short here is run again by another worker (BullMQ) or at the next start.
      await release();
      await server.close();
      runtime.log.info({ ...summary, ms: Date.now() - started }, 'shut down');
      finish();
    })());

  // The address it really listens on (localhost may resolve to ::1 first); the token is never printed.
  const origin = `${host && host !== '0.0.0.0' && host !== '::' ? (host.includes(':') ? `[${host}]` : host) : 'localhost'}:${port}`;
  const pageUrl = `http://${origin}/${runtime.config.playgroundToken ? '#token=<PLAYGROUND_TOKEN>' : ''}`;
  if (role === 'worker') {
    println(io.stdout, `Understudy worker: running jobs from the queue on REDIS_URL. Health: http://${origin}/healthz, readiness: /readyz, metrics: /metrics`);
  } else if (platforms.length === 0) {
    if (interactive) {
      println(io.stdout, `Understudy playground (also in your browser at ${pageUrl}). No keys needed.`);
      void runTerminalChat(runtime.service, io).then(close, close);
    } else {
      println(io.stdout, `${SETUP_HELP}\n\nPlayground: ${pageUrl}   Health: http://${origin}/healthz`);
    }
  } else {
    runtime.log.info({ platforms: platforms.map((p) => p.name) }, 'serving chat platforms');
  }
  return { port, host, router, platforms, server, role, queue, journal, done, close };
}
