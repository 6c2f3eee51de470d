import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { readSkill } from '../avatars/package';
import type { ConsentRecord } from '../avatars/schema';
import { pendingCorrections } from '../distill/corrections';
import { distill } from '../distill/distill';
import { anchorsIn, checkSkill } from '../distill/skill';
import { exportAvatar, revoke, setStatus } from '../distill/subject';
import { exportAgentSkill } from '../interop/export';
import { rollbackSkill, settleCorrection } from '../distill/skill-changes';
import { diffLines, listVersions, readVersion } from '../distill/versions';
import { UnderstudyError } from '../errors';
import type { CliContext } from './context';
import { println } from './io';
import { ingestProgress } from './progress';
import { renderIngestReport } from './render';

function operator(ctx: CliContext): string {
  return `cli:${ctx.io.env.USER ?? os.userInfo().username}`;
}

/** The consent record a CLI distillation needs; every missing piece is named. */
export function cliConsent(o: { basis?: string; approvedBy?: string; reason?: string; name: string }): ConsentRecord {
  if (!o.basis) throw new UnderstudyError('CONSENT_REQUIRED', 'distill needs a consent record: --basis self|consent|policy (with --approved-by, and --reason for policy)');
  if (!['self', 'consent', 'policy'].includes(o.basis)) throw new UnderstudyError('INPUT_INVALID', `--basis must be self, consent or policy, got "${o.basis}"`);
  if (o.basis !== 'self' && !o.approvedBy) throw new UnderstudyError('CONSENT_REQUIRED', `--basis ${o.basis} needs --approved-by <who approved it>`);
  if (o.basis === 'policy' && !o.reason?.trim()) throw new UnderstudyError('CONSENT_REQUIRED', '--basis policy needs --reason "<why>" (for example, handover after departure)');
  return {
    basis: o.basis as ConsentRecord['basis'],
    subject: o.name,
    approved_by: o.approvedBy ?? o.name,
    reason: o.reason,
    recorded_at: new Date().toISOString(),
    scope: 'files given on the command line',
  };
}

/** distill, skill show/check/diff/rollback/corrections, avatar pause/resume/revoke/export, audit. */
export function registerDistillCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('distill <slug>')
    .description("build or refresh an avatar from a person's exports, mail or documents, with a consent record")
    .requiredOption('--name <person>', "the person's name")
    .requiredOption('--from <path...>', 'Slack export, Feishu export, maildir, mbox or documents')
    .option('--author <id|email|name>', "the person's ids, addresses or names in those sources (comma-separated)")
    .option('--basis <basis>', 'self | consent | policy')
    .option('--approved-by <who>', 'who approved the distillation')
    .option('--reason <why>', 'why (required for policy, e.g. a departed employee)')
    .option('--lang <lang>', 'zh or en')
    .option('--title <title>', "the person's job title")
    .option('--departed', 'the person has left the company')
    .option('--json', 'print the outcome as JSON')
    .action(async (slug: string, o: { name: string; from: string[]; author?: string; basis?: string; approvedBy?: string; reason?: string; lang?: string; title?: string; departed?: boolean; json?: boolean }) => {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new UnderstudyError('INPUT_INVALID', `slug "${slug}" must be lowercase letters, digits and dashes`);
      if (o.lang && o.lang !== 'zh' && o.lang !== 'en') throw new UnderstudyError('INPUT_INVALID', `--lang must be zh or en, got "${o.lang}"`);
      const consent = cliConsent(o);
      const rt = ctx.runtime();
      const bar = ingestProgress(io.stderr, io.isTTY);
      const started = Date.now();
      let outcome;
      try {
        outcome = await distill(rt.service, {
          slug,
          person: { name: o.name, title: o.title, status: o.departed ? 'departed' : undefined, languages: o.lang ? [o.lang as 'zh' | 'en'] : undefined, aliases: (o.author ?? '').split(',').map((a) => a.trim()).filter(Boolean) },
          consent,
          actor: operator(ctx),
          from: o.from,
          cwd: io.cwd,
          onProgress: (phase, done, total) => {
            if (['scan', 'load', 'embed', 'index', 'done'].includes(phase)) bar.update({ phase: phase as 'load', done, total });
          },
        });
      } finally {
        bar.stop();
      }
      const evidenceIndex = rt.service.index(slug);
      const quality = checkSkill(outcome.synthesis.markdown, new Set(outcome.synthesis.evidence), (id) => evidenceIndex.get(id)?.text);
      if (o.json) {
        println(io.stdout, JSON.stringify({ slug, created: outcome.created, version: outcome.version.version, seconds: (Date.now() - started) / 1000, ingest: outcome.ingest, stats: outcome.synthesis.stats, quality }, null, 2));
        return;
      }
      println(io.stdout, renderIngestReport(outcome.ingest));
      println(io.stdout, `Skill v${outcome.version.version}: ${outcome.synthesis.stats.claims} claims, ${outcome.synthesis.stats.anchors} anchors, in ${outcome.synthesis.stats.seconds.toFixed(1)} s`);
      for (const s of quality.sections) println(io.stdout, `  ${s.section.padEnd(28)} ${String(s.anchors).padStart(4)} anchors${s.hollow ? `  HOLLOW: ${s.reason ?? ''}` : ''}`);
      for (const w of quality.warnings) println(io.stdout, `  warning: ${w}`);
      for (const c of outcome.synthesis.changes.slice(0, 20)) println(io.stdout, `  change: ${c}`);
      println(io.stdout, `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(io.cwd, path.join(rt.config.avatarsDir, slug)) || slug}`);
    });

  const skill = program.command('skill').description('show, check, compare and roll back distilled skills');
  skill
    .command('show <slug>')
    .description('print skill.md; --evidence resolves every [e:N] anchor to its source')
    .option('--evidence', 'list the evidence behind each anchor')
    .option('--version <n>', 'a saved version instead of the live skill')
    .action((slug: string, o: { evidence?: boolean; version?: string }) => {
      const { service } = ctx.runtime();
      const pkg = service.get(slug);
      const text = o.version ? readVersion(pkg.dir, Number(o.version)) : readSkill(pkg);
      println(io.stdout, text.trimEnd());
      if (!o.evidence) return;
      const index = service.index(pkg.config.slug);
      println(io.stdout, '\n## Evidence\n');
      for (const id of [...new Set(anchorsIn(text))]) {
        const c = index.get(id);
        println(io.stdout, c ? `[e:${id}] ${c.source} ${c.locator}${c.date ? ` (${c.date.slice(0, 10)})` : ''}\n    ${c.text.replace(/\s+/g, ' ').slice(0, 240)}` : `[e:${id}] (does not resolve: re-distill or rebuild the index)`);
      }
    });
  skill
    .command('check <slug>')
    .description('anchors per section, specificity, and hollow-skill warnings')
    .option('--json', 'print JSON')
    .action((slug: string, o: { json?: boolean }) => {
      const { service } = ctx.runtime();
      const pkg = service.get(slug);
      const index = service.index(pkg.config.slug);
      const known = new Set<number>();
      if (index.exists()) for (const c of index.chunkStore().iterateChunks()) known.add(c.id);
      const report = checkSkill(readSkill(pkg), known, (id) => (index.exists() ? index.get(id)?.text : undefined));
      if (o.json) {
        println(io.stdout, JSON.stringify(report, null, 2));
        return;
      }
      for (const s of report.sections) {
        println(io.stdout, `${s.section.padEnd(28)} claims ${String(s.claims).padStart(3)}  anchors ${String(s.anchors).padStart(4)}  specific ${(s.specificity * 100).toFixed(0).padStart(3)}%${s.hollow ? `  HOLLOW: ${s.reason ?? ''}` : ''}`);
      }
      for (const w of report.warnings) println(io.stdout, `warning: ${w}`);
      println(io.stdout, report.hollow ? 'Verdict: hollow skill (generic filler, missing or unresolved anchors).' : 'Verdict: anchored and specific.');
    });
  skill
    .command('diff <slug> <version> [other]')
    .description('line diff of a saved version against another version or the live skill')
    .action((slug: string, version: string, other?: string) => {
      const { service } = ctx.runtime();
      const pkg = service.get(slug);
      const a = readVersion(pkg.dir, Number(version));
      const b = other ? readVersion(pkg.dir, Number(other)) : readSkill(pkg);
      println(io.stdout, diffLines(a, b));
    });
  skill
    .command('rollback <slug> <version>')
    .description('make a saved version the live skill (as a new version)')
    .action(async (slug: string, version: string) => {
      const { service } = ctx.runtime();
      const pkg = service.get(slug);
      const v = await rollbackSkill(service.store, pkg, Number(version), operator(ctx));
      println(io.stdout, `Rolled back ${pkg.config.slug} to version ${version} (saved as version ${v.version}).`);
    });
  skill
    .command('versions <slug>')
    .description('list saved versions')
    .action((slug: string) => {
      const pkg = ctx.runtime().service.get(slug);
      const versions = listVersions(pkg.dir);
      if (versions.length === 0) println(io.stdout, 'No versions yet: run `understudy distill`.');
      for (const v of versions) println(io.stdout, `${String(v.version).padStart(3, '0')}  ${v.createdAt.slice(0, 19)}  ${v.reason.padEnd(10)} by ${v.by}  ${v.evidence} anchors${v.changes.length ? `  (${v.changes.length} changes)` : ''}`);
    });
  skill
    .command('corrections <slug>')
    .description('pending corrections from feedback and /avatar correct')
    .action(async (slug: string) => {
      const { service } = ctx.runtime();
      const pending = await pendingCorrections(service.store, service.get(slug).config.slug);
      if (pending.length === 0) println(io.stdout, 'No pending corrections.');
      for (const p of pending) println(io.stdout, `#${p.id}  ${p.at.slice(0, 10)}  from ${p.proposedBy}: ${p.text}`);
    });
  for (const verb of ['approve', 'reject'] as const) {
    skill
      .command(`${verb} <slug> <id>`)
      .description(`${verb} a pending correction${verb === 'approve' ? ' (it lands in the Corrections section as a new version)' : ''}`)
      .action(async (slug: string, id: string) => {
        const { service } = ctx.runtime();
        const pkg = service.get(slug);
        const v = await settleCorrection(service.store, pkg, Number(id), verb === 'approve', operator(ctx));
        if (v) println(io.stdout, `Correction #${id} approved; skill saved as version ${v.version}.`);
        else println(io.stdout, `Correction #${id} rejected.`);
      });
  }

  const avatar = program.commands.find((c) => c.name() === 'avatar') as Command;
  for (const status of ['pause', 'resume'] as const) {
    avatar
      .command(`${status} <slug>`)
      .description(status === 'pause' ? 'stop the avatar answering anyone, until resumed' : 'let a paused avatar answer again')
      .action(async (slug: string) => {
        const { service } = ctx.runtime();
        const pkg = service.get(slug);
        if (pkg.config.status === 'revoked') throw new UnderstudyError('AVATAR_UNAVAILABLE', `${pkg.config.slug} was revoked; distill it again (with consent) to bring it back.`);
        await setStatus(service, pkg.config.slug, status === 'pause' ? 'paused' : 'active', operator(ctx));
        println(io.stdout, `${pkg.config.slug} is ${status === 'pause' ? 'paused' : 'active'}.`);
      });
  }
  avatar
    .command('revoke <slug>')
    .description('delete the corpus copies, the index, the skill and its versions (keeps the audit record)')
    .option('--yes', 'confirm')
    .action(async (slug: string, o: { yes?: boolean }) => {
      if (!o.yes) throw new UnderstudyError('INPUT_INVALID', `Revoking deletes ${slug}'s sources, index and skill for good; run again with --yes to confirm.`);
      const { service } = ctx.runtime();
      const started = Date.now();
      const r = await revoke(service, service.get(slug).config.slug, operator(ctx));
      println(io.stdout, `Revoked ${slug}: ${r.removedFiles} files deleted in ${Date.now() - started} ms; avatar.yaml stays as a tombstone.`);
    });
  avatar
    .command('export <slug> [dir]')
    .description('a zip of the skill, its versions and the sources; or, with --format agent-skill <dir>, an Agent Skills folder (SKILL.md + references/) for coding agents')
    .option('--out <file>', 'where to write the zip', '')
    .option('--format <format>', 'zip or agent-skill', 'zip')
    .action(async (slug: string, dir: string | undefined, o: { out: string; format: string }) => {
      const { service } = ctx.runtime();
      if (o.format === 'agent-skill') {
        if (!dir) throw new UnderstudyError('INPUT_INVALID', 'avatar export --format agent-skill needs the folder to write: understudy avatar export <slug> --format agent-skill <dir>');
        const r = await exportAgentSkill(service, slug, path.resolve(io.cwd, dir), operator(ctx));
        println(io.stdout, `Wrote ${path.relative(io.cwd, r.dir) || r.dir}: SKILL.md and ${r.references} references`);
        return;
      }
      if (o.format !== 'zip') throw new UnderstudyError('INPUT_INVALID', `--format must be zip or agent-skill, got "${o.format}"`);
      if (dir) throw new UnderstudyError('INPUT_INVALID', `a folder ("${dir}") is for --format agent-skill; the zip is written to --out <file>`);
      const pkg = service.get(slug);
      const out = path.resolve(io.cwd, o.out || `${pkg.config.slug}-export.zip`);
      // The zip holds the sources: readable by whoever asked for it only.
      fs.writeFileSync(out, await exportAvatar(service, pkg.config.slug, operator(ctx)), { mode: 0o600 });
      println(io.stdout, `Wrote ${path.relative(io.cwd, out) || out}`);
    });

  program
    .command('audit')
    .description('read the append-only audit log; --verify checks its keyed hash chain against the anchor')
    .option('--avatar <slug>', 'only this avatar')
    .option('--action <action>', 'only this action (ask, distill, revoke, ...)')
    .option('--limit <n>', 'most recent entries', '50')
    .option('--verify', 'verify the keyed hash chain and its anchor (exits non-zero when it does not verify)')
    .option('--json', 'print JSON')
    .action(async (o: { avatar?: string; action?: string; limit: string; verify?: boolean; json?: boolean }) => {
      const { service } = ctx.runtime();
      if (o.verify) {
        const v = await service.store.verifyAudit();
        println(io.stdout, v.ok ? `Audit log intact: ${v.entries} entries, keyed hash chain and anchor verified.` : `Audit log TAMPERED: ${v.reason ?? `the chain breaks at entry ${v.brokenAt}`}.`);
        if (!v.ok) throw new UnderstudyError('INTERNAL', `audit log does not verify: ${v.reason ?? `the chain breaks at entry ${v.brokenAt}`}`);
        return;
      }
      const entries = await service.store.auditEntries({ avatar: o.avatar, action: o.action, limit: Number(o.limit) || 50 });
      if (o.json) {
        println(io.stdout, JSON.stringify(entries, null, 2));
        return;
      }
      for (const e of entries) println(io.stdout, `${String(e.seq).padStart(5)} ${e.at.slice(0, 19)} ${e.actor.padEnd(18)} ${e.action.padEnd(20)} ${e.avatar ?? '-'} ${JSON.stringify(e.detail).slice(0, 160)}`);
    });
}
