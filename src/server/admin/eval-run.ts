/**
 * One kept eval run, as /admin/api/avatars/:slug/eval stores and returns it. Types only, with no
 * imports, so the admin console (web/src/admin) uses the same shape without bundling the server.
 */
export interface EvalRun {
  slug: string;
  at: string;
  by: string;
  qa: string;
  questions: number;
  skillVersion: number | null;
  indexVersion: string | null;
  recallAt5: number;
  mrr: number;
  /** Share of unanswerable questions the avatar declined. */
  abstention: number;
  /** Share of answerable questions it wrongly declined. */
  falseAbstention: number;
}
