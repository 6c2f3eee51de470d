import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { blindEvaluate, formatBlind, stageBuildSplit } from '../eval/blind';
import { distillPublicFigure } from '../distill/public-figure';
import { runTerminalChat } from './terminal-chat';
import { LOCAL_VIEWER, type Viewer } from '../avatars/visibility';
import { UnderstudyError } from '../errors';
import { evaluate, formatMetrics, readQaFile } from '../eval/qa';
import { formatEvalAll } from '../eval/report';
import { defaultTargets, runAllEvals } from '../eval/run-all';
import { AvatarService } from '../app/avatar-service';
import { writeFileAtomic } from '../util/fs-atomic';
import { tuneMalloc } from '../util/malloc-tuning';
import type { SearchMode } from '../retrieval/avatar-index';
import { serve, SERVE_ROLES, type ServeRole } from '../serve';
import { createAvatarPackage } from '../avatars/create';
import type { CliContext } from './context';
import { println } from './io';
import { ingestProgress } from './progress';
import { renderAnswer, renderIngestReport } from './render';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new UnderstudyError('INPUT_INVALID', `-k must be a whole number from 1 to 100, got "${v}"`);
  return n;
}

function viewerFor(as: string | undefined): Viewer {
  switch (as ?? 'local') {
    case 'local':
      return LOCAL_VIEWER;
    case 'public':
      return { platform: 'cli', surface: 'public_channel' };
    case 'dm':
      return { platform: 'cli', surface: 'dm', userId: 'cli' };
    default:
      throw new UnderstudyError('INPUT_INVALID', `--as must be local, dm or public, got "${as}"`);
  }
}

async function runIngest(ctx: CliContext, slug: string, rebuild: boolean, out = ctx.io.stdout): Promise<void> {
  const bar = ingestProgress(ctx.io.stderr, ctx.io.isTTY);
  try {
    const report = await ctx.runtime().service.ingest(slug, { rebuild, onProgress: bar.update });
    bar.stop();
    println(out, renderIngestReport(report));
  } finally {
    bar.stop();
  }
}

/** Commands that read an index build it first when it was never built (report on stderr). */
async function ensureIngested(ctx: CliContext, slugOrHandle: string): Promise<string> {
  const { service } = ctx.runtime();
  const slug = service.get(slugOrHandle).config.slug;
  if (!service.index(slug).exists()) await runIngest(ctx, slug, false, ctx.io.stderr);
  return slug;
}

/** Commands of the core issue: serve, avatar, ingest, search, ask, chat, eval. */
export function registerCoreCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;

  program
    .command('serve')
    .description('start the bot: Slack/Feishu when configured, else the local playground (what `npm start` runs)')
    .option('--role <role>', `${SERVE_ROLES.join('|')}: web answers chat and enqueues background work, worker runs the jobs, all does both (web and worker need REDIS_URL)`, 'all')
    .action(async (o: { role: string }) => {
      if (!(SERVE_ROLES as readonly string[]).includes(o.role)) throw new UnderstudyError('INPUT_INVALID', `--role must be one of ${SERVE_ROLES.join(', ')}, got "${o.role}"`);
      const rt = ctx.runtime();
      // Before any index loads: unloaded indexes must give their memory back (util/malloc-tuning).
      tuneMalloc(rt.config.env, rt.log);
      const handle = await serve(rt, io, { role: o.role as ServeRole });
      const stop = (): void => void handle.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await handle.done;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });

  const avatar = program.command('avatar').description('create and list avatar packages');
  avatar
    .command('create <slug>')
    .description('create avatars/<slug>/ from files, folders, exports or maildirs, then ingest it')
    .requiredOption('--name <person>', "the person's name")
    .requiredOption('--from <path...>', 'files or folders to copy into the corpus')
    .option('--author <email-or-name>', "keep only this person's messages from e-mail and chat sources (comma-separated aliases)")
    .option('--lang <lang>', 'main language: zh or en')
    .option('--title <title>', "the person's job title")
    .option('--departed', 'the person has left the company')
    .option('--kind <kind>', 'colleague (default) or public-figure: a person known through public writing (essays, newsletters, talks); its skill is distilled from that writing')
    .option('--hold-out <share>', 'public-figure only: leave this share of the writing files out (a fixed split by file name) for a blind test with `understudy eval --blind`', parseFloat)
    .option('--exclude <glob>', 'leave corpus files matching this glob (relative to corpus/; a name with no / matches at any depth) out of the index; repeatable; written to avatar.yaml `exclude`', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (slug: string, o: { name: string; from: string[]; author?: string; lang?: string; title?: string; departed?: boolean; kind?: string; holdOut?: number; exclude: string[] }) => {
      if (o.lang && o.lang !== 'zh' && o.lang !== 'en') throw new UnderstudyError('INPUT_INVALID', `--lang must be zh or en, got "${o.lang}"`);
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new UnderstudyError('INPUT_INVALID', `slug "${slug}" must be lowercase letters, digits and dashes`);
      if (o.kind && o.kind !== 'colleague' && o.kind !== 'public-figure') throw new UnderstudyError('INPUT_INVALID', `--kind must be colleague or public-figure, got "${o.kind}"`);
      if (o.holdOut !== undefined && o.kind !== 'public-figure') throw new UnderstudyError('INPUT_INVALID', '--hold-out is for --kind public-figure');
      const rt = ctx.runtime();
      const staging = o.holdOut !== undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'understudy-holdout-')) : undefined;
      let dir: string;
      try {
        let from = o.from;
        if (staging !== undefined) {
          if (o.from.length !== 1) throw new UnderstudyError('INPUT_INVALID', '--hold-out splits one folder of writing: give exactly one --from');
          const split = stageBuildSplit(path.resolve(io.cwd, o.from[0]), o.holdOut as number, staging);
          from = [split.staged];
          println(io.stdout, `Held out ${split.heldOut.length} of ${split.heldOut.length + split.build.length} files for the blind test: ${split.heldOut.join(', ')}`);
        }
        dir = createAvatarPackage(
          rt.config.avatarsDir,
          { slug, name: o.name, from, author: o.author, lang: o.lang as 'zh' | 'en' | undefined, title: o.title, status: o.departed ? 'departed' : 'active', kind: o.kind as 'colleague' | 'public-figure' | undefined, exclude: o.exclude },
          io.cwd,
        );
      } finally {
        if (staging) fs.rmSync(staging, { recursive: true, force: true });
      }
      rt.service.reload();
      println(io.stdout, `Created ${path.relative(io.cwd, dir) || dir}`);
      await runIngest(ctx, slug, false);
      if (o.kind === 'public-figure') {
        const r = await distillPublicFigure(rt.service, slug, `cli:${io.env.USER ?? 'local'}`);
        println(io.stdout, `Public-figure skill v${r.version.version}: ${r.synthesis.stats.claims} claims, ${r.synthesis.stats.anchors} anchors (${rt.service.model ? 'with the model' : 'offline, extractive'}); skill check: ${r.quality.hollow ? 'HOLLOW' : 'anchored'}, ${r.quality.unresolvedAnchors.length} unresolved anchors`);
        for (const w of r.quality.warnings) println(io.stdout, `  warning: ${w}`);
      }
    });
  avatar
    .command('list')
    .description('list avatars with their status and index size')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const { service } = ctx.runtime();
      const rows = service.registry.list().map((a) => ({
        slug: a.config.slug,
        handle: a.config.handle,
        name: a.config.person.name,
        title: a.config.person.title,
        person: a.config.person.status,
        status: a.config.status,
        chunks: service.index(a.config.slug).count(),
        consent: a.config.consent?.basis ?? null,
      }));
      const invalid = service.registry.invalid.map((i) => ({ dir: i.dir, error: i.error.message }));
      if (o.json) {
        println(io.stdout, JSON.stringify({ avatars: rows, invalid }, null, 2));
        return;
      }
      if (rows.length === 0) println(io.stdout, 'No avatars yet. Create one with `understudy avatar create <slug> --name "<person>" --from <path>`.');
      for (const r of rows) {
        println(io.stdout, `${r.slug.padEnd(16)} @${r.handle.padEnd(22)} ${r.name} — ${r.title || '?'} [${r.person}, ${r.status}] ${r.chunks} chunks, consent: ${r.consent ?? 'none recorded'}`);
      }
      for (const i of invalid) println(io.stderr, `invalid: ${i.error}`);
    });

  program
    .command('ingest <slug>')
    .description("index the avatar's corpus (only changed files unless --rebuild)")
    .option('--rebuild', 'drop the index and build it again from scratch')
    .action(async (slug: string, o: { rebuild?: boolean }) => runIngest(ctx, slug, Boolean(o.rebuild)));

  program
    .command('search <slug> <query>')
    .description("search an avatar's corpus")
    .option('-k <n>', 'number of results', positiveInt, 5)
    .option('--mode <mode>', 'hybrid, lexical or vector', 'hybrid')
    .option('--as <viewer>', 'see what this viewer may see: local, dm or public', 'local')
    .option('--json', 'print JSON: [{rank, score, source, locator, text}]')
    .action(async (slug: string, query: string, o: { k: number; mode: string; as?: string; json?: boolean }) => {
      if (!['hybrid', 'lexical', 'vector'].includes(o.mode)) throw new UnderstudyError('INPUT_INVALID', `--mode must be hybrid, lexical or vector, got "${o.mode}"`);
      const { service } = ctx.runtime();
      const res = await service.index(await ensureIngested(ctx, slug)).search(query, { k: o.k, mode: o.mode as SearchMode, viewer: viewerFor(o.as) });
      const rows = res.hits.map((h, i) => ({ rank: i + 1, score: Number(h.score.toFixed(5)), source: h.chunk.source, locator: h.chunk.locator, text: h.chunk.text }));
      if (o.json) {
        println(io.stdout, JSON.stringify(rows, null, 2));
        return;
      }
      if (rows.length === 0) println(io.stdout, 'No results.');
      for (const r of rows) println(io.stdout, `${r.rank}. ${r.source} ${r.locator}  (${r.score})\n   ${r.text.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (rows.length > 0 && !res.grounded) println(io.stdout, '(below the relevance threshold: an answer would say there is nothing on this)');
    });

  program
    .command('ask <slug> <question>')
    .description('ask an avatar one question')
    .option('--as <viewer>', 'answer as for this viewer: local, dm or public', 'local')
    .option('--json', 'print JSON: {text, grounded, confidence, disclosure, citations: [{source, locator, text}]}')
    .action(async (slug: string, question: string, o: { as?: string; json?: boolean }) => {
      const { service } = ctx.runtime();
      const a = await service.ask(await ensureIngested(ctx, slug), { question, viewer: viewerFor(o.as), conversation: `cli:ask:${process.pid}:${Date.now()}`, actor: `cli:${io.env.USER ?? 'local'}` });
      if (o.json) {
        println(
          io.stdout,
          JSON.stringify(
            { text: a.text, grounded: a.grounded, confidence: a.confidence, disclosure: a.disclosure, label: a.label, model: a.model, citations: a.citations.map((c) => ({ source: c.source, locator: c.locator, text: c.text })) },
            null,
            2,
          ),
        );
        return;
      }
      println(io.stdout, renderAnswer(a, { color: io.isTTY }));
    });

  program
    .command('chat <slug>')
    .description('chat with an avatar in the terminal, with history')
    .action(async (slug: string) => {
      const { service } = ctx.runtime();
      await runTerminalChat(service, io, { slug: await ensureIngested(ctx, slug) });
    });

  program
    .command('eval <slug> <qa>')
    .description('retrieval quality on a QA set (JSON lines: {question, answerable, sources[], keywords[]})')
    .option('--mode <mode>', 'hybrid, lexical or vector; default: all three', '')
    .option('--json', 'print JSON')
    .option('--blind', 'blind test: questions whose sources are missing from the avatar (held out with avatar create --hold-out) are scored apart: answered, supported by a retrieved passage, or abstained')
    .action(async (slug: string, qa: string, o: { mode: string; json?: boolean; blind?: boolean }) => {
      const items = readQaFile(path.resolve(io.cwd, qa));
      const { service } = ctx.runtime();
      const index = service.index(await ensureIngested(ctx, slug));
      if (o.blind) {
        const r = await blindEvaluate(index, items);
        println(io.stdout, o.json ? JSON.stringify({ blind: r.blind, inCorpus: r.inCorpus?.all ?? null, rows: r.rows }, null, 2) : formatBlind(r));
        return;
      }
      const runs: [SearchMode, boolean][] = o.mode ? [[o.mode as SearchMode, true]] : [['hybrid', true], ['hybrid', false], ['lexical', false], ['vector', false]];
      const reports = [];
      for (const [mode, expansion] of runs) reports.push(await evaluate(index, items, mode, expansion));
      if (o.json) {
        println(io.stdout, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
        return;
      }
      for (const r of reports) {
        const name = `${r.mode}${r.expansion ? '+expansion' : ''}`;
        println(io.stdout, formatMetrics(name, r.all));
        if (r.paraphrase.questions) println(io.stdout, formatMetrics(`  paraphrased`, r.paraphrase));
        if (r.crosslingual.questions) println(io.stdout, formatMetrics(`  cross-lingual`, r.crosslingual));
      }
    });

  program
    .command('eval-all')
    .description('what `npm run eval` runs: every QA set (dev and held-out), ours beside file- and chunk-level BM25')
    .option('--json', 'print JSON')
    .option('--split <split>', 'only the dev or the held-out sets', '')
    .action(async (o: { json?: boolean; split: string }) => {
      if (o.split && o.split !== 'dev' && o.split !== 'held-out') throw new UnderstudyError('INPUT_INVALID', `--split must be dev or held-out, got "${o.split}"`);
      const rt = ctx.runtime();
      const evalData = path.join(rt.config.dataDir, 'eval');
      const realAvatars = path.join(evalData, 'avatars');
      const real = new AvatarService({ avatarsDir: realAvatars, dataDir: evalData, embedders: rt.service.embedders, store: rt.service.store, log: rt.log });
      try {
        const results = await runAllEvals(rt.service, realAvatars, real, defaultTargets(io.cwd).filter((t) => !o.split || t.split === o.split), (l) => println(io.stderr, l));
        writeFileAtomic(path.join(evalData, 'results.json'), JSON.stringify(results, null, 2));
        if (o.json) {
          println(io.stdout, JSON.stringify(results, null, 2));
          return;
        }
        println(io.stdout, formatEvalAll(results));
        println(io.stdout, `\nWritten to ${path.relative(io.cwd, path.join(evalData, 'results.json'))}`);
      } finally {
        real.close();
      }
    });
}
