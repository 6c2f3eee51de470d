import type { HandoffJournal } from '../chat/handoff-journal';
import type { ChatRouter } from '../chat/router';
import type { ChatTransport } from '../chat/types';
import type { Runtime } from '../app/runtime';
import type { HttpServer } from '../server/http-server';

/** A chat platform edge: Slack or Feishu. Each turns its events into calls on the core. */
export interface PlatformAdapter {
  readonly name: string;
  /** Mount HTTP routes or open sockets; fail fast on bad credentials, naming the app. */
  start(server: HttpServer): Promise<void>;
  stop(): Promise<void>;
  /**
   * A worker replica: check the apps' credentials and create their transports, without routes
   * or connections (it posts answers from answer jobs, and takes no events).
   */
  startSending(): Promise<void>;
  /** The transport of the app an event came to (its ChatEvent.appId), once started. */
  transportFor(appId: string): ChatTransport | undefined;
  /** Facts for /healthz (apps, mode); never secrets. */
  health(): Record<string, unknown>;
  /**
   * A web replica: journal every event acked over HTTP before its ack and mark it once handed off,
   * and hand off again the journal's entries of this platform (set before start).
   */
  useJournal?(journal: HandoffJournal): void;
}

/** Builds a platform's adapter, or undefined when its variables are not set. */
export type PlatformFactory = (runtime: Runtime, router: ChatRouter) => PlatformAdapter | undefined;
