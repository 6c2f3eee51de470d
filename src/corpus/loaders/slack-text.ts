/** Display names of a workspace's users and channels, by id. */
export interface SlackNames {
  users: Map<string, string>;
  channels: Map<string, string>;
}

function entities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Slack's mrkdwn to plain text: mentions to @name, channels to #name, links to `label (url)`. */
export function renderSlackText(text: string, names: SlackNames): string {
  return entities(
    text.replace(/<([^<>]+)>/g, (_m, inner: string) => {
      const bar = inner.indexOf('|');
      const target = bar >= 0 ? inner.slice(0, bar) : inner;
      const label = bar >= 0 ? inner.slice(bar + 1) : undefined;
      if (/^@[UWB][A-Z0-9]+$/.test(target)) return `@${label ?? names.users.get(target.slice(1)) ?? target.slice(1)}`;
      if (/^#[CGD][A-Z0-9]+$/.test(target)) return `#${label ?? names.channels.get(target.slice(1)) ?? target.slice(1)}`;
      if (target.startsWith('!subteam^')) return label ?? '@team';
      if (target.startsWith('!date^')) return label ?? '';
      if (target.startsWith('!')) return `@${target.slice(1)}`;
      if (target.startsWith('mailto:')) return target.slice('mailto:'.length);
      if (label === undefined || label === target || label === target.replace(/^https?:\/\//, '')) return target;
      return `${label} (${target})`;
    }),
  );
}

interface Node {
  type?: string;
  text?: unknown;
  elements?: unknown[];
  fields?: unknown[];
  url?: string;
  user_id?: string;
  channel_id?: string;
  name?: string;
  range?: string;
  fallback?: string;
  style?: string;
}

function inline(nodes: unknown[] | undefined, names: SlackNames): string {
  return (nodes ?? [])
    .map((raw) => {
      const n = raw as Node;
      switch (n.type) {
        case 'text':
          return typeof n.text === 'string' ? n.text : '';
        case 'link':
          return typeof n.text === 'string' && n.text !== n.url ? `${n.text} (${n.url ?? ''})` : (n.url ?? '');
        case 'user':
          return `@${names.users.get(n.user_id ?? '') ?? n.user_id ?? ''}`;
        case 'channel':
          return `#${names.channels.get(n.channel_id ?? '') ?? n.channel_id ?? ''}`;
        case 'emoji':
          return n.name ? `:${n.name}:` : '';
        case 'broadcast':
          return `@${n.range ?? 'here'}`;
        case 'date':
          return n.fallback ?? '';
        default:
          return '';
      }
    })
    .join('');
}

function blockText(raw: unknown, names: SlackNames): string {
  const b = raw as Node;
  const textOf = (t: unknown): string => {
    const o = t as { type?: string; text?: string } | undefined;
    if (!o?.text) return '';
    return o.type === 'mrkdwn' ? renderSlackText(o.text, names) : o.text;
  };
  switch (b.type) {
    case 'rich_text':
      return (b.elements ?? []).map((e) => blockText(e, names)).join('\n');
    case 'rich_text_section':
    case 'rich_text_preformatted':
    case 'rich_text_quote':
      return inline(b.elements, names);
    case 'rich_text_list':
      return (b.elements ?? []).map((e, i) => `${b.style === 'ordered' ? `${i + 1}.` : '-'} ${blockText(e, names)}`).join('\n');
    case 'section':
      return [textOf(b.text), ...(b.fields ?? []).map(textOf)].filter(Boolean).join('\n');
    case 'header':
      return textOf(b.text);
    case 'context':
      return (b.elements ?? []).map(textOf).filter(Boolean).join(' ');
    default:
      return '';
  }
}

/** Text of a message's blocks, for messages whose `text` is empty. */
export function blocksText(blocks: unknown[] | undefined, names: SlackNames): string {
  return (blocks ?? [])
    .map((b) => blockText(b, names))
    .filter((t) => t.trim())
    .join('\n');
}
