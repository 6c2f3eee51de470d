import path from 'node:path';
import type { Command } from 'commander';
import type { AvatarPackage } from '../avatars/package';
import { createChatRouter } from '../chat/setup';
import { UnderstudyError } from '../errors';
import { manifestGenerator } from '../manifests';
import { PLACEHOLDER_BASE_URL, type ManifestInput } from '../manifests/types';
import { writeFileAtomic } from '../util/fs-atomic';
import type { CliContext } from './context';
import { println } from './io';

interface ManifestOptions {
  platform: string;
  hub?: boolean;
  socket?: boolean;
  url?: string;
  out: string;
  stdout?: boolean;
}

/** `understudy manifest <slug> --platform slack [--hub] [--socket]`: app manifests into manifests/. */
export function registerManifestCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('manifest [slug]')
    .description('write the chat app manifest for an avatar (or the hub app with --hub) to manifests/<slug>.<platform>.yaml')
    .requiredOption('--platform <platform>', 'slack (lark when its generator is installed)')
    .option('--hub', 'the hub app that hosts every avatar (no slug)')
    .option('--socket', 'Socket Mode / long connection: no public request URL')
    .option('--url <base>', `public base URL of this server, e.g. https://bot.example.com (default ${PLACEHOLDER_BASE_URL})`)
    .option('--out <dir>', 'output folder', 'manifests')
    .option('--stdout', 'print instead of writing a file')
    .action((slug: string | undefined, o: ManifestOptions) => {
      const generator = manifestGenerator(o.platform);
      if (o.hub && slug) throw new UnderstudyError('INPUT_INVALID', 'give either an avatar slug or --hub, not both');
      if (!o.hub && !slug) throw new UnderstudyError('INPUT_INVALID', 'name the avatar (`understudy manifest <slug> --platform slack`) or pass --hub for the hub app');
      if (o.url !== undefined && !/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(o.url)) {
        throw new UnderstudyError('INPUT_INVALID', `--url must be an https:// URL (chat platforms only call https), got "${o.url}"`);
      }
      const runtime = ctx.runtime();
      const avatar: AvatarPackage | undefined = slug ? runtime.service.get(slug) : undefined;
      const router = createChatRouter(runtime);
      const commands = router.commands.all().map((c) => ({ name: c.name, usage: c.usage }));
      commands.sort((a, b) => (a.name === 'avatar' ? -1 : b.name === 'avatar' ? 1 : a.name.localeCompare(b.name)));
      const input: ManifestInput = {
        avatar,
        avatars: runtime.service.registry.list(),
        socket: Boolean(o.socket),
        baseUrl: o.url ?? PLACEHOLDER_BASE_URL,
        commands,
      };
      const text = generator.generate(input);
      if (o.stdout) {
        io.stdout.write(text);
        return;
      }
      const file = path.resolve(io.cwd, o.out, `${avatar ? avatar.config.slug : 'hub'}.${generator.suffix}`);
      writeFileAtomic(file, text);
      println(io.stdout, `Wrote ${path.relative(io.cwd, file) || file}`);
      if (!o.socket && o.url === undefined) println(io.stderr, `Note: the request URLs use ${PLACEHOLDER_BASE_URL}; pass --url with your public address, or edit the file.`);
    });
}
