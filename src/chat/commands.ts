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
