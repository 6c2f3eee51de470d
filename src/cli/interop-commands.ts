import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { importSkillFolders } from '../interop/import';
import { recordConsent } from '../interop/consent';
import type { CliContext } from './context';
import { cliConsent } from './distill-commands';
import { println } from './io';

function operator(ctx: CliContext): string {
  return `cli:${ctx.io.env.USER ?? os.userInfo().username}`;
}

/** avatar import (colleague.skill, Nüwa-style and Agent Skills folders) and avatar consent. */
export function registerInteropCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const avatar = program.commands.find((c) => c.name() === 'avatar') as Command;
  avatar
    .command('import <dir>')
    .description('make avatars from skill folders: a colleague.skill person folder (meta.json, work.md, persona.md), a Nüwa-style or Agent Skills folder (SKILL.md, references/), or a folder of them; they stay paused until consent is recorded')
    .option('--slug <slug>', "another slug than the folder's (one person only)")
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { slug?: string; json?: boolean }) => {
      const { service } = ctx.runtime();
      const done = await importSkillFolders(service, path.resolve(io.cwd, dir), {
        actor: operator(ctx),
        slug: o.slug,
        onProgress: (slug, phase) => println(io.stderr, `${slug}: ${phase === 'copy' ? 'copying the skill and its material' : 'indexing'}…`),
      });
      if (o.json) {
        println(io.stdout, JSON.stringify(done.map((d) => ({ slug: d.slug, name: d.name, format: d.format, chunks: d.chunks, anchors: d.anchors, status: 'paused', consent: 'none' })), null, 2));
        return;
      }
      for (const d of done) {
        println(io.stdout, `Imported ${d.slug} (${d.name}) from a ${d.format} folder: ${d.chunks} chunks indexed, ${d.anchors} anchors kept. Paused: no consent record yet.`);
      }
      println(io.stdout, `Record consent to let ${done.length > 1 ? 'them' : 'it'} answer: understudy avatar consent <slug> --basis self|consent|policy --approved-by <who> [--reason "<why>"]`);
    });
  avatar
    .command('consent <slug>')
    .description('record consent for an avatar (an imported one waits for this and answers once it is recorded)')
    .option('--basis <basis>', 'self | consent | policy')
    .option('--approved-by <who>', 'who approved it')
    .option('--reason <why>', 'why (required for policy)')
    .action(async (slug: string, o: { basis?: string; approvedBy?: string; reason?: string }) => {
      const { service } = ctx.runtime();
      const pkg = service.get(slug);
      const record = { ...cliConsent({ ...o, name: pkg.config.person.name }), scope: 'the imported skill and its material' };
      const r = await recordConsent(service, pkg.config.slug, record, operator(ctx));
      println(io.stdout, `Consent recorded for ${pkg.config.slug} (${record.basis}, approved by ${record.approved_by}); it is ${r.status}.`);
    });
}
