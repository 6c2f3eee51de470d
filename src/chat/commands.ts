import type { Logger } from 'pino';
import type { Lang } from '../text/lang';
import type { AvatarService } from '../app/avatar-service';
import type { ChatEvent, ChatTransport, MessageRef, Reply, ReplyTarget } from './types';

/** Everything a command or intent handler gets. Handlers speak through `respond` only. */
export interface HandlerContext {
  event: ChatEvent;
  /** The command's arguments (text after `/name`), or the question text for intents. */
  args: string;
  service: AvatarService;
  transport: ChatTransport;
  log: Logger;
  lang: Lang;
  /** The reply target: the DM, or the thread in a channel. */
  target: ReplyTarget;
  /** Whether the user is a configured admin. */
  isAdmin: boolean;
  respond(reply: Reply): Promise<MessageRef | undefined>;
  /** The avatar the event is addressed to, when one is resolved (per-avatar app or hub choice). */
  avatar?: string;
}

export type Handler = (ctx: HandlerContext) => Promise<void>;

/** What the one who answers an event keeps of it (a worker records both in the state store). */
export interface PlaceholderHooks {
  /** A placeholder posted by an earlier run (a retried answer job): replies replace it. */
  placeholder?: MessageRef;
  /** A placeholder (the status, or the first draft where the status is native) went out. */
  posted?(ref: MessageRef): Promise<void>;
  /** The reply that replaces the placeholder (an answer, a notice) went out. */
  replaced?(ref: MessageRef): Promise<void>;
}

/**
 * `respond` for one event. A status becomes the placeholder message; drafts (an answer being
 * written) replace it in place, or become it when the status was native (a Slack assistant
 * thread); the answer or a notice replaces it. After that no draft goes out: a late one is
 * dropped. Private notices are posted apart and replace nothing.
 */
export function placeholderResponder(transport: ChatTransport, target: ReplyTarget, hooks: PlaceholderHooks = {}): HandlerContext['respond'] {
  let placeholder = hooks.placeholder;
  let replaced = false;
  const post = async (reply: Reply): Promise<MessageRef> => {
    const ref = await transport.post(target, reply);
    placeholder = ref;
    replaced = false;
    await hooks.posted?.(ref);
    return ref;
  };
  return async (reply) => {
    if (reply.kind === 'draft') {
      if (replaced) return undefined;
      if (!placeholder) return post(reply);
      await transport.update(placeholder, reply);
      return placeholder;
    }
    if (reply.kind === 'status') return placeholder ?? post(reply);
    if (reply.kind === 'notice' && reply.ephemeral) return transport.post(target, reply);
    let ref: MessageRef;
    if (placeholder) {
      ref = placeholder;
      placeholder = undefined;
      await transport.update(ref, reply);
    } else ref = await transport.post(target, reply);
    replaced = true;
    await hooks.replaced?.(ref);
    return ref;
  };
}

export interface CommandSpec {
  name: string;
  /** One line for /avatar help: usage and what it does. */
  usage: string;
  handler: Handler;
}

/**
 * The one command router for every platform: `/avatar`, `/distill`, `/summarize` register here
 * and render through whichever adapter received them.
 */
export class CommandRouter {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly avatarSubs = new Map<string, CommandSpec>();

  register(spec: CommandSpec): void {
    this.commands.set(spec.name, spec);
  }

  /** `/avatar <sub>`: list, info, use, help here; mine, pause, revoke... from the distill issue. */
  registerAvatarSub(spec: CommandSpec): void {
    this.avatarSubs.set(spec.name, spec);
  }

  get(name: string): CommandSpec | undefined {
    return this.commands.get(name.replace(/^\//, '').toLowerCase());
  }

  avatarSub(name: string): CommandSpec | undefined {
    return this.avatarSubs.get(name.toLowerCase());
  }

  avatarSubCommands(): CommandSpec[] {
    return [...this.avatarSubs.values()];
  }

  all(): CommandSpec[] {
    return [...this.commands.values()];
  }
}

/** `/name rest` at the start of a text message, as Feishu and DMs deliver commands. */
export function parseTextCommand(text: string): { name: string; args: string } | undefined {
  const m = /^\s*\/([a-z][a-z-]*)\b\s*([\s\S]*)$/i.exec(text);
  return m ? { name: m[1].toLowerCase(), args: m[2].trim() } : undefined;
}
