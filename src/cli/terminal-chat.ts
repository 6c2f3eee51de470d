import readline from 'node:readline';
import type { AvatarService } from '../app/avatar-service';
import type { AvatarPackage } from '../avatars/package';
import { ChatRouter } from '../chat/router';
import { registerMeetingFeature } from '../meeting/chat-feature';
import type { ChatEvent, ChatTransport, MessageRef, Reply, ReplyTarget } from '../chat/types';
import { createLogger } from '../log';
import crypto from 'node:crypto';
import { println, type CliIo } from './io';
import { renderAnswer } from './render';
import type { Answer } from '../answer/types';

const HELP = [
  'Type a question and press Enter. Commands:',
  '  /sources   show the full text of the last answer\'s sources',
  '  /switch    choose another avatar',
  '  /new       start a new conversation (the avatar introduces itself again)',
  '  /help      this help',
  '  /quit      leave (Ctrl+D works too)',
].join('\n');

function describe(a: AvatarPackage): string {
  const p = a.config.person;
  return `${a.config.slug} (@${a.config.handle}): ${p.name}${p.name_en && p.name_en !== p.name ? ` / ${p.name_en}` : ''}, ${p.title}${p.status === 'departed' ? ', departed' : ''}`;
}

/** Chat with an avatar in the terminal: the playground for `npm start` with no platform set. */
export async function runTerminalChat(service: AvatarService, io: CliIo, options: { slug?: string } = {}): Promise<void> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stdout, terminal: io.isTTY });
  const lines = rl[Symbol.asyncIterator]();
  const next = async (prompt: string): Promise<string | undefined> => {
    io.stdout.write(prompt);
    const r = await lines.next();
    return r.done ? undefined : String(r.value);
  };
  // The terminal is a chat platform: questions go through the router like Slack's and Feishu's.
  // No rate limits for the operator at their own terminal; failures are logged to stderr.
  const router = new ChatRouter({ service, rateLimits: { userPerMinute: 0, workspacePerMinute: 0 }, log: createLogger({ level: 'error', destination: io.stderr }) });
  registerMeetingFeature(router);
  const terminal = new TerminalTransport(io);
  try {
    let avatar = options.slug ? service.get(options.slug) : await choose(service, io, next);
    if (!avatar) return;
    let conversation = `cli:${process.pid}:${Date.now()}`;
    println(io.stdout, `\nTalking to ${describe(avatar)}. /help for commands.\n`);
    for (;;) {
      const line = await next(`you> `);
      if (line === undefined) break;
      const q = line.trim();
      if (q === '') continue;
      if (q === '/quit' || q === '/exit') break;
      if (q === '/help') {
        println(io.stdout, HELP);
        continue;
      }
      if (q === '/new') {
        conversation = `cli:${process.pid}:${Date.now()}`;
        println(io.stdout, 'New conversation.');
        continue;
      }
      if (q === '/sources') {
        const last = terminal.last;
        if (!last || last.citations.length === 0) println(io.stdout, 'No sources yet.');
        else for (const c of last.citations) println(io.stdout, `[${c.n}] ${c.source} ${c.locator}\n${c.text}\n`);
        continue;
      }
      if (q === '/switch') {
        const chosen = await choose(service, io, next);
        if (!chosen) break;
        avatar = chosen;
        conversation = `cli:${process.pid}:${Date.now()}`;
        println(io.stdout, `\nTalking to ${describe(avatar)}.\n`);
        continue;
      }
      await router.handle(terminalEvent(q, conversation, avatar.config.slug, io), terminal);
    }
  } finally {
    rl.close();
  }
}

async function choose(service: AvatarService, io: CliIo, next: (p: string) => Promise<string | undefined>): Promise<AvatarPackage | undefined> {
  const avatars = service.registry.list().filter((a) => a.config.status === 'active');
  if (avatars.length === 0) {
    println(io.stdout, 'No active avatars. Create one with `understudy avatar create <slug> --name "<person>" --from <path>`.');
    return undefined;
  }
  if (avatars.length === 1) return avatars[0];
  println(io.stdout, 'Which avatar would you like to talk to?');
  avatars.forEach((a, i) => println(io.stdout, `  ${i + 1}. ${describe(a)}`));
  for (;;) {
    const answer = await next(`choose 1-${avatars.length} or a name> `);
    if (answer === undefined) return undefined;
    const t = answer.trim();
    const n = Number(t);
    if (Number.isInteger(n) && n >= 1 && n <= avatars.length) return avatars[n - 1];
    const found = service.registry.find(t);
    if (found && found.config.status === 'active') return found;
    const hints = service.registry.suggestions(t);
    println(io.stdout, `No avatar "${t}".${hints.length ? ` Did you mean ${hints.join(', ')}?` : ''}`);
  }
}

/** One line typed at the prompt, as the router sees it: a DM to the chosen avatar, one per conversation. */
function terminalEvent(text: string, conversation: string, slug: string, io: CliIo): ChatEvent {
  return {
    eventId: crypto.randomUUID(),
    platform: 'cli',
    appId: 'terminal',
    workspaceId: 'local',
    channelId: conversation,
    channelType: 'dm',
    messageId: crypto.randomUUID(),
    userId: io.env.USER ?? 'local',
    text,
    mentioned: true,
    mentions: [],
    kind: 'message',
    sentAt: Date.now(),
    appAvatar: slug,
  };
}

/** The terminal's transport: prints what the router shows; the prompt itself says it is working. */
class TerminalTransport implements ChatTransport {
  readonly platform = 'cli' as const;
  /** The last answer shown, for /sources. */
  last?: Answer;
  private n = 0;

  constructor(private readonly io: CliIo) {}

  async setStatus(): Promise<boolean> {
    return true;
  }

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    this.show(reply);
    return { ...target, messageId: String(++this.n) };
  }

  async update(_ref: MessageRef, reply: Reply): Promise<void> {
    this.show(reply);
  }

  private show(reply: Reply): void {
    if (reply.kind === 'status') return;
    if (reply.kind === 'answer') this.last = reply.answer;
    println(this.io.stdout, `\n${reply.kind === 'answer' ? renderAnswer(reply.answer, { color: this.io.isTTY }) : reply.text}\n`);
  }
}
