import { mountWebPlayground } from './adapters/playground/web';
import { assertPlaygroundBinding, playgroundHost } from './adapters/playground/web-guard';
import { runTerminalChat } from './cli/terminal-chat';
import { PLATFORM_FACTORIES } from './adapters';
import type { PlatformAdapter } from './adapters/platform';
import { guardOf } from './answer/model-guard';
import { startEventPruning } from './chat/event-pruning';
import { createChatRouter } from './chat/setup';
import { println, type CliIo } from './cli/io';
import { renderIngestReport } from './cli/render';
import { classifyError } from './errors';
import type { Runtime } from './runtime';
import { HttpServer } from './server/http-server';

export interface ServeHandle {
  port: number;
  /** The address listened on; undefined is all interfaces. */
  host: string | undefined;
  router: import('./chat/router').ChatRouter;
  platforms: PlatformAdapter[];
  server: HttpServer;
  /** Resolves when the process should exit (terminal chat ended, or a signal). */
  done: Promise<void>;
  close(): Promise<void>;
}

const SETUP_HELP = `No chat platform is configured, so Understudy is serving the local playground only.

To connect Slack, set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (plus SLACK_APP_TOKEN and
SLACK_MODE=socket for Socket Mode), then point the app's request URL at POST /slack/events.
To connect Feishu/Lark, set LARK_APP_ID, LARK_APP_SECRET and LARK_ENCRYPT_KEY (or
LARK_VERIFICATION_TOKEN), then point the event URL at POST /lark/events (or LARK_MODE=ws).
Set OPENAI_API_KEY / OPENAI_BASE_URL to answer with a model instead of quoting.
See README.md for app manifests: \`understudy manifest <slug> --platform slack|lark\`.`;

/** Bring every active avatar's index up to date; a broken avatar is reported, not fatal. */
async function prepareAvatars(runtime: Runtime, io: CliIo): Promise<void> {
  const { service, log } = runtime;
  for (const bad of service.registry.invalid) log.error({ dir: bad.dir, code: bad.error.code, err: bad.error }, bad.error.message);
  for (const pkg of service.registry.list()) {
    if (pkg.config.status !== 'active') continue;
    try {
      const report = await service.ingest(pkg.config.slug);
      if (report.filesRead > 0 || report.filesRemoved > 0) println(io.stderr, renderIngestReport(report));
    } catch (err) {
      const e = classifyError(err);
      log.error({ avatar: pkg.config.slug, code: e.code, err }, e.message);
    }
  }
}

/** `understudy serve`: health endpoint, platforms when configured, otherwise the playground. */
export async function serve(runtime: Runtime, io: CliIo, options: { interactive?: boolean } = {}): Promise<ServeHandle> {
  const server = new HttpServer(runtime.log);
  const router = createChatRouter(runtime);
  const platforms = PLATFORM_FACTORIES.map((f) => f(runtime, router)).filter((p): p is PlatformAdapter => p !== undefined);
  const guard = guardOf(runtime.service.model);
  server.setHealth(() => {
    // A model behind an open breaker is `degraded`: answers still go out, quoted from the sources.
    const modelHealth = guard?.health();
    return {
      status: modelHealth?.state ?? 'ok',
      avatars: runtime.service.registry.list().map((a) => ({ slug: a.config.slug, status: a.config.status })),
      platforms: Object.fromEntries(platforms.map((p) => [p.name, p.health()])),
      model: runtime.config.llm ? runtime.config.llm.model : 'offline-extractive',
      ...(modelHealth ? { model_health: modelHealth } : {}),
    };
  });
  const playground = platforms.length === 0 || runtime.config.playground;
  // With the playground on, listen on loopback unless HOST says otherwise (and then a token is required).
  const host = playground ? playgroundHost(runtime.config.host) : runtime.config.host;
  if (playground) {
    assertPlaygroundBinding(host ?? '0.0.0.0', runtime.config.playgroundToken);
    mountWebPlayground(server, router, { host: host ?? '0.0.0.0', token: runtime.config.playgroundToken });
  }
  const interactive = platforms.length === 0 && (options.interactive ?? io.isTTY);
  // Log lines would interleave with the terminal chat: keep only warnings unless asked.
  if (interactive && !runtime.config.env.LOG_LEVEL) runtime.log.level = 'warn';
  const port = await server.listen(runtime.config.port, host);
  runtime.log.info({ port, host: host ?? 'all interfaces' }, 'listening');

  await prepareAvatars(runtime, io);
  try {
    for (const p of platforms) await p.start(server);
  } catch (err) {
    // Fail fast (bad token, missing secret) without leaving the port open.
    for (const p of platforms) await p.stop().catch(() => undefined);
    await server.close();
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
      const drained = router.shutdown(timeoutMs);
      // Adapters wait for router.idle(), which the shutdown deadline bounds.
      for (const p of platforms) await p.stop().catch((err: unknown) => runtime.log.warn({ err, platform: p.name }, 'platform did not stop cleanly'));
      const summary = await drained;
      stopPruning();
      await server.close();
      runtime.log.info({ ...summary, ms: Date.now() - started }, 'shut down');
      finish();
    })());

  // The address it really listens on (localhost may resolve to ::1 first); the token is never printed.
  const origin = `${host && host !== '0.0.0.0' && host !== '::' ? (host.includes(':') ? `[${host}]` : host) : 'localhost'}:${port}`;
  const pageUrl = `http://${origin}/${runtime.config.playgroundToken ? '#token=<PLAYGROUND_TOKEN>' : ''}`;
  if (platforms.length === 0) {
    if (interactive) {
      println(io.stdout, `Understudy playground (also in your browser at ${pageUrl}). No keys needed.`);
      void runTerminalChat(runtime.service, io).then(close, close);
    } else {
      println(io.stdout, `${SETUP_HELP}\n\nPlayground: ${pageUrl}   Health: http://${origin}/healthz`);
    }
  } else {
    runtime.log.info({ platforms: platforms.map((p) => p.name) }, 'serving chat platforms');
  }
  return { port, host, router, platforms, server, done, close };
}
