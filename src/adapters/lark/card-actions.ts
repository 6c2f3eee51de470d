import type { Logger } from 'pino';
import type { ChatRouter } from '../../chat/router';
import type { ChatTransport } from '../../chat/types';
import type { Runtime } from '../../app/runtime';
import type { LarkAppConfig } from './apps';
import type { LarkApi } from './open-api';
import type { Card } from './render';

/** `card.action.trigger` as the dispatcher hands it over (header fields merged in). */
export interface LarkCardActionEvent {
  event_id?: string;
  app_id?: string;
  tenant_key?: string;
  operator?: { open_id?: string; user_id?: string; union_id?: string; tenant_key?: string };
  action?: { value?: Record<string, unknown> | string; tag?: string; name?: string; form_value?: Record<string, unknown>; option?: string };
  context?: { open_message_id?: string; open_chat_id?: string };
}

export interface LarkCardActionContext {
  /** The clicked element's value: our buttons carry `{k: <action key>, ...}`. */
  value: Record<string, unknown>;
  /** Inputs of a submitted form, by name. */
  formValue: Record<string, unknown>;
  /** The clicker's open id. */
  userId: string;
  tenantKey?: string;
  messageId?: string;
  chatId?: string;
  app: LarkAppConfig;
  api: LarkApi;
  runtime: Runtime;
  router: ChatRouter;
  /** The app's transport, for core actions. */
  transport: ChatTransport;
  log: Logger;
  /** Work that may outlast the 3 s Feishu waits for the callback answer; idle() and shutdown wait for it. */
  background(work: Promise<unknown>): void;
}

/** What Feishu shows after the click: a toast, and optionally a card replacing the clicked one. */
export interface LarkCardActionResult {
  toast?: { type: 'success' | 'info' | 'warning' | 'error'; content: string };
  card?: { type: 'raw'; data: Card };
}

export type LarkCardActionHandler = (ctx: LarkCardActionContext) => LarkCardActionResult | undefined | Promise<LarkCardActionResult | undefined>;

const HANDLERS = new Map<string, LarkCardActionHandler>();

/**
 * Card buttons by the `k` in their value. Features add theirs here (feedback in feedback.ts;
 * the distill consent Approve/Decline buttons from the distill feature). A handler answers
 * within Feishu's 3 s: slow work goes to `ctx.background`.
 */
export function registerLarkCardAction(key: string, handler: LarkCardActionHandler): void {
  HANDLERS.set(key, handler);
}

export function larkCardAction(key: string): LarkCardActionHandler | undefined {
  return HANDLERS.get(key);
}

/** The button value as an object: Feishu sends what the card held, an object or a JSON string. */
export function actionValue(action: LarkCardActionEvent['action']): Record<string, unknown> {
  const v = action?.value;
  if (v && typeof v === 'object') return v;
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return {};
}
