import fs from 'node:fs';
import path from 'node:path';
import type { AvatarPackage } from '../../avatars/package';
import type { Runtime } from '../../app/runtime';
import { listVersions } from '../../distill/versions';
import { evaluate, readQaFile } from '../../eval/qa';
import { avatarFor } from './access';
import type { EvalRun } from './eval-run';
import { HttpError, type AdminRoute } from './http';

const NS = 'admin-eval-runs';

/** The QA set of an avatar: `qa.jsonl` in its folder, else the repository's eval/qa/<slug>.jsonl. */
export function qaFileOf(pkg: AvatarPackage, cwd = process.cwd()): string | undefined {
  return [path.join(pkg.dir, 'qa.jsonl'), path.resolve(cwd, 'eval', 'qa', `${pkg.config.slug}.jsonl`)].find((f) => fs.existsSync(f));
}

/** Run `eval` (hybrid retrieval, as answers use it) on an avatar's QA set; every run is kept. */
export function evalRoutes(runtime: Runtime): AdminRoute[] {
  const { service } = runtime;
  const running = new Set<string>();
  const runsOf = async (slug: string): Promise<EvalRun[]> =>
    (await service.store.kvList<EvalRun>(NS)).map((r) => r.value).filter((r) => r.slug === slug).sort((a, b) => a.at.localeCompare(b.at));
  return [
    {
      method: 'GET',
      path: '/avatars/:slug/eval',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        const qa = qaFileOf(pkg);
        return { qa: qa ? path.basename(qa) : null, runs: await runsOf(pkg.config.slug) };
      },
    },
    {
      method: 'POST',
      path: '/avatars/:slug/eval',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        const slug = pkg.config.slug;
        const qa = qaFileOf(pkg);
        if (!qa) throw new HttpError(400, `No QA set for ${slug}: put one at ${path.join(pkg.dir, 'qa.jsonl')} (JSON lines: {question, answerable, sources[], keywords[]}).`);
        const index = service.index(slug);
        if (!index.exists()) throw new HttpError(409, `${slug} has no index yet: re-ingest it first.`);
        if (running.has(slug)) throw new HttpError(409, `An eval of ${slug} is already running.`);
        running.add(slug);
        try {
          const report = await evaluate(index, readQaFile(qa), 'hybrid', true);
          const run: EvalRun = {
            slug,
            at: new Date().toISOString(),
            by: session.actor,
            qa: path.basename(qa),
            questions: report.all.questions,
            skillVersion: listVersions(pkg.dir).at(-1)?.version ?? null,
            indexVersion: index.version ?? null,
            recallAt5: report.all.recallAt5,
            mrr: report.all.mrr,
            abstention: report.all.abstentionAccuracy,
            falseAbstention: report.all.falseAbstention,
          };
          await service.store.kvSet(NS, `${slug}:${run.at}`, run);
          await service.store.audit({ actor: session.actor, action: 'eval', avatar: slug, detail: { qa: run.qa, questions: run.questions, recall_at_5: run.recallAt5, mrr: run.mrr, abstention: run.abstention } });
          return run;
        } finally {
          running.delete(slug);
        }
      },
    },
  ];
}
