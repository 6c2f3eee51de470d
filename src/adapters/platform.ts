import type { Runtime } from '../runtime';
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

export type PlatformFactory = (runtime: Runtime) => PlatformAdapter | undefined;

/** Factories for every platform; each returns undefined when its variables are not set. */
export const PLATFORM_FACTORIES: PlatformFactory[] = [];
