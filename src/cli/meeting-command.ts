import type { Command } from 'commander';
import { stripControl } from '../answer/markup';
import { LOCAL_VIEWER, type Viewer } from '../avatars/visibility';
import { UnderstudyError } from '../errors';
import { holdMeeting } from '../meeting/meeting';
import { findAvatar, planMeeting, splitMeetingArgs, type Asker } from '../meeting/plan';
import { meetingJson, progressLine, renderHeader, renderSynthesis } from '../meeting/render';
import { detectLang } from '../text/lang';
import type { CliContext } from './context';
import { println } from './io';
import { ingestProgress } from './progress';
import { renderAnswer, renderIngestReport, terminalMarkdown } from './render';

interface MeetingFlags {
  as?: string;
  offline?: boolean;
  json?: boolean;
}

function viewerFor(as: string | undefined, user: string): Viewer {
  switch (as ?? 'local') {
    case 'local':
      return LOCAL_VIEWER;
    case 'public':
      return { platform: 'cli', surface: 'public_channel', userId: user };
    case 'dm':
      return { platform: 'cli', surface: 'dm', userId: user };
    default:
      throw new UnderstudyError('INPUT_INVALID', `--as must be local, dm or public, got "${as}"`);
  }
}

/** `understudy meeting lao-zhang lin-xiaoyu "<question>"`: several avatars on one question, then the moderator's synthesis. */
export function registerMeetingCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('meeting <avatars-then-question...>')
    .description('ask 2 to 5 avatars one question: each answers from its own material with sources, then a moderator lists where they agree, where they differ and what none covers')
    .option('--as <viewer>', 'answer as for this viewer: local, dm or public (public sources only)', 'local')
    .option('--offline', 'do not use the configured language model (answers quote their sources; the moderator is extractive)')
    .option('--json', 'print JSON: {answers: [{avatar, text, grounded, citations}], synthesis: {agree, differ, gaps}, left_out}')
    .action(async (words: string[], o: MeetingFlags) => {
      const user = io.env.USER ?? 'local';
      const viewer = viewerFor(o.as, user);
      const { service } = ctx.runtime();
      const { names, question } = splitMeetingArgs(words.join(' '), (n) => findAvatar(service, n) !== undefined);
      const lang = detectLang(question, 'en');
      const asker: Asker = { actor: `cli:${user}`, viewer };
      const plan = planMeeting(service, names, question, asker, lang);
      for (const l of plan.leftOut) println(io.stderr, `left out: ${l.note}`);
      if (plan.participants.length === 0) throw new UnderstudyError('AVATAR_UNAVAILABLE', 'none of the avatars named can take part, so there is no meeting');
      for (const pkg of plan.participants) {
        if (service.index(pkg.config.slug).exists()) continue;
        const bar = ingestProgress(io.stderr, io.isTTY);
        try {
          println(io.stderr, renderIngestReport(await service.ingest(pkg.config.slug, { onProgress: bar.update })));
        } finally {
          bar.stop();
        }
      }
      const meeting = await holdMeeting(
        service,
        plan,
        { asker, conversation: `cli:meeting:${process.pid}:${Date.now()}`, model: o.offline ? null : undefined },
        { onProgress: (done, pending) => io.isTTY && println(io.stderr, progressLine(lang, done.map((a) => a.name), pending)) },
      );
      if (o.json) {
        println(io.stdout, JSON.stringify(meetingJson(meeting), null, 2));
        return;
      }
      const participants = plan.participants.map((p) => ({ name: meeting.answers.find((a) => a.avatar === p.config.slug)?.name ?? p.config.slug, handle: p.config.handle }));
      const color = io.isTTY;
      const show = (markdown: string): void => println(io.stdout, terminalMarkdown(stripControl(markdown), color));
      show(renderHeader({ id: meeting.id, question: meeting.question, lang, participants, leftOut: meeting.leftOut, progress: progressLine(lang, participants.map((p) => p.name), []) }));
      for (const a of meeting.answers) {
        println(io.stdout, `\n── ${stripControl(a.name)} ──`);
        println(io.stdout, renderAnswer(a.answer, { color }));
      }
      println(io.stdout, '\n──');
      show(renderSynthesis(meeting, meeting.synthesis));
    });
}
