import { slackDaySource } from '../corpus/slack-day';
import type { Citation } from './types';

/**
 * How a chat citation names its source to a reader: the channel (its title), and for a message of
 * a Slack export the day file it is in, `#general · 2015-06-20`. Without a title, the source path.
 */
export function chatCitationName(c: Pick<Citation, 'kind' | 'title' | 'source'>): string {
  if (!c.title) return c.source;
  const day = c.kind === 'slack' ? slackDaySource(c.source)?.day : undefined;
  return day ? `${c.title} · ${day}` : c.title;
}
