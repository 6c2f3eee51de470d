import type { Lang } from '../text/lang';
import type { AvatarConfig } from './schema';

function englishName(c: AvatarConfig): string {
  return c.person.name_en ?? c.person.name;
}

/** Full introduction shown on first contact. */
export function introduction(c: AvatarConfig, lang: Lang): string {
  const custom = c.disclosure[lang];
  if (custom) return custom;
  if (c.kind === 'public-figure') {
    const who = lang === 'zh' ? c.person.name : englishName(c);
    return lang === 'zh'
      ? `你好，我是根据${who}公开发表的文字（文章、周刊、演讲）整理的数字分身，不是${who}本人，也没有经过${who}审阅。`
      : `Hello, I am a digital avatar built from the public writing of ${who} (essays, newsletters, talks). I am not ${who}, and ${who} has not reviewed me.`;
  }
  const departed = c.person.status === 'departed';
  if (lang === 'zh') {
    return departed
      ? `你好，我是前员工${c.person.name}的数字分身。我根据${pronounZh(c)}在职期间的文档和消息回答问题，不是${c.person.name}本人。`
      : `你好，我是${c.person.name}的数字分身。我根据${pronounZh(c)}的文档和消息回答问题，不是${c.person.name}本人。`;
  }
  const who = englishName(c);
  const pos = c.person.pronoun === 'he' ? 'his' : c.person.pronoun === 'she' ? 'her' : 'their';
  return departed
    ? `Hello, I am the digital avatar of former employee ${who}. I answer from the documents of ${pos} tenure; I am not ${who}.`
    : `Hello, I am the digital avatar of ${who}. I answer from ${pos} documents and messages; I am not ${who}.`;
}

/** Short label carried by every reply. */
export function label(c: AvatarConfig, lang: Lang): string {
  if (c.kind === 'public-figure') return lang === 'zh' ? `🤖 ${c.person.name}的数字分身（据公开文字，非本人）` : `🤖 Digital avatar of ${englishName(c)} from public writing (not the person)`;
  return lang === 'zh' ? `🤖 ${c.person.name}的数字分身（非本人）` : `🤖 Digital avatar of ${englishName(c)} (not the person)`;
}

function pronounZh(c: AvatarConfig): string {
  return c.person.pronoun === 'she' ? '她' : c.person.pronoun === 'he' ? '他' : 'TA';
}
