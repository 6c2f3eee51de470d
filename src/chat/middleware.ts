import type { AvatarPackage } from '../avatars/package';
import type { HandlerContext } from './commands';
import type { WorkInfo } from './inflight';
import type { Turn } from './lanes';
import type { Admitted } from '../store/types';

/** What an event carries through the gates: the handler context, plus what earlier gates found. */
export interface RouteContext extends HandlerContext {
  /** For idle() and the shutdown log: what this work turned out to be. */
  info: WorkInfo;
  /** `/name args` when the event is a command (slash command, or text starting with `/`). */
  command?: { name: string; args: string };
  /** The conversation's place in line, taken when the event arrived, so arrival order is answer order. */
  turn?: Turn;
  /** The avatar resolveAvatar settled on (`avatar` holds its slug). */
  pkg?: AvatarPackage;
  /** Who takes the event's durable dedupe claim when the dedupe gate deferred it (a web replica): the answer job carries it. */
  dedupeOwner?: string;
  /**
   * The token of the event's Redis dedupe claim: the handoff journal entry's id, so that the replay
   * of an entry (by another replica after this one died) takes over the claim this delivery made.
   */
  claimToken?: string;
  /**
   * What the dedupe gate read for the gates after it, in its own round trip (a web replica,
   * AckPaths.admit): the rate limit gate's decisions and the sticky choice, when they were read.
   */
  ahead?: Pick<Admitted, 'rate' | 'sticky'>;
}

/**
 * One gate or handler: do its part, then `await next()` to go on, or return without calling it
 * to stop there (the shape bolt-js gives its listener middleware).
 */
export type Middleware = (ctx: RouteContext, next: () => Promise<void>) => Promise<void>;

/** Run `list` in order over `ctx`; each step decides whether the rest runs. */
export async function runMiddleware(list: readonly Middleware[], ctx: RouteContext): Promise<void> {
  let reached = -1;
  const step = async (i: number): Promise<void> => {
    if (i <= reached) throw new Error(`middleware ${list[i - 1]?.name || i - 1} called next() twice`);
    reached = i;
    const mw = list[i];
    if (mw) await mw(ctx, () => step(i + 1));
  };
  await step(0);
}
