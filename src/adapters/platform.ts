import type { ChatRouter } from '../chat/router';
import type { Runtime } from '../app/runtime';
import type { HttpServer } from '../server/http-server';

/** A chat platform edge: Slack or Feishu. Each turns its events into calls on the core. */
export interface PlatformAdapter {
  readonly name: string;
  /** Mount HTTP routes or open sockets; fail fast on bad credentials, naming the app. */
  start(server: HttpServer): Promise<void>;
  stop(): Promise<void>;
  /** Facts for /healthz (apps, mode); never secrets. */
  health(): Record<string, unknown>;
}

/** Builds a platform's adapter, or undefined when its variables are not set. */
export type PlatformFactory = (runtime: Runtime, router: ChatRouter) => PlatformAdapter | undefined;
