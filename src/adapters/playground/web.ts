import { z } from 'zod';
import type { AvatarService } from '../../avatars/service';
import type { Viewer } from '../../avatars/visibility';
import { classifyError } from '../../errors';
import { readBody, send, type HttpServer } from '../../server/http-server';
import { PLAYGROUND_HTML } from './web-page';

const askSchema = z.object({
  avatar: z.string().min(1),
  question: z.string().max(200_000),
  conversation: z.string().regex(/^[\w:.-]{1,80}$/),
});

/** The web playground sees what a colleague in a DM would: public and team sources, never private ones. */
const PLAYGROUND_VIEWER: Viewer = { platform: 'playground', surface: 'dm', userId: 'playground' };

/** A small browser playground on the same port: pick an avatar, ask, see citations. */
export function mountWebPlayground(server: HttpServer, service: AvatarService): void {
  server.route('GET', '/', (_req, res) => send(res, 200, PLAYGROUND_HTML, 'text/html'));
  server.route('GET', '/playground/api/avatars', (_req, res) => {
    send(
      res,
      200,
      service.registry.list().map((a) => ({ slug: a.config.slug, handle: a.config.handle, name: a.config.person.name, title: a.config.person.title, status: a.config.status })),
    );
  });
  server.route('POST', '/playground/api/ask', async (req, res) => {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, 400_000)).toString('utf8'));
    } catch {
      send(res, 400, { ok: false, error: 'body must be JSON: {avatar, question, conversation}' });
      return;
    }
    const parsed = askSchema.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      send(res, 400, { ok: false, error: `field ${i.path.join('.')}: ${i.message}` });
      return;
    }
    try {
      const answer = await service.ask(parsed.data.avatar, {
        question: parsed.data.question,
        viewer: PLAYGROUND_VIEWER,
        conversation: `playground:${parsed.data.conversation}`,
        actor: 'playground:web',
      });
      send(res, 200, { ok: true, answer });
    } catch (err) {
      const e = classifyError(err);
      send(res, e.exitCode === 1 ? 400 : 500, { ok: false, code: e.code, error: e.message });
    }
  });
}
