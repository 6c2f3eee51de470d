/**
 * The channel and day of a Slack export unit's source (`<export>/<channel>/<YYYY-MM-DD>`, the day
 * file the message is in), or undefined for any other source. Used to render citations
 * (`#general · 2015-06-20`), to let a visibility rule written for a channel cover its days, and to
 * quote a message with the person's other messages of that day. No Node imports: the web UI's
 * type check reaches this file through answer/.
 */
export function slackDaySource(source: string): { channel: string; day: string } | undefined {
  const m = /^(.+)\/(\d{4}-\d{2}-\d{2})$/.exec(source.split('#')[0]);
  return m ? { channel: m[1], day: m[2] } : undefined;
}
