import readline from 'node:readline';
import type { AvatarService } from '../app/avatar-service';
import type { AvatarPackage } from '../avatars/package';
import { LOCAL_VIEWER } from '../avatars/visibility';
import { classifyError } from '../errors';
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
  const color = io.isTTY;
  try {
    let avatar = options.slug ? service.get(options.slug) : await choose(service, io, next);
    if (!avatar) return;
    let conversation = `cli:${process.pid}:${Date.now()}`;
    let last: Answer | undefined;
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
      try {
        last = await service.ask(avatar.config.slug, { question: q, viewer: LOCAL_VIEWER, conversation, actor: `cli:${io.env.USER ?? 'local'}` });
        println(io.stdout, `\n${renderAnswer(last, { color })}\n`);
      } catch (err) {
        println(io.stdout, `\n${classifyError(err).message}\n`);
      }
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
