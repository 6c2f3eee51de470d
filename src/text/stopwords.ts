/**
 * Stop words, by purpose. They differ on purpose, so each is named for its use:
 * - EN_STOPWORDS, ZH_STOP_*: what the retrieval tokenizer drops (index and query alike). Changing
 *   them changes every retrieval score and needs a TOKENIZER_VERSION bump (retrieval/tokenize.ts).
 * - TERM_STOPWORDS: words never shown as a person's key terms (distilled skill): the tokenizer's
 *   list plus common verbs, time words and mail/chat boilerplate that match fine but mean nothing
 *   on their own.
 * - CHAT_FILLER: chat noise (emoji names, "lol", "谢谢") kept out of summary topics, on top of the
 *   tokenizer's list. It is compared with tokenizer output, so some entries never match a stemmed
 *   token; they are kept as written.
 */

/** English function words and greetings. */
export const EN_STOPWORDS: ReadonlySet<string> = new Set(
  ('a an and are as at be been but by can could did do does doing for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so that the their them then there these they this those to too us was we were what when ' +
    'where which who whom why will with would you your yours shall should may might must also just than very about over ' +
    'any some all each other such only own same more most both few nor off out up down again further once here hi hello ' +
    'please thanks thank ok okay get got let lets via per etc').split(/\s+/),
);

/** Characters that carry little meaning alone; a bigram made only of them is dropped. */
export const ZH_STOP_CHARS: ReadonlySet<string> = new Set('的了是在和与及或也就都而且把被给让对从向到这那个们吗呢吧啊呀么着过很还又再才要会能可以我你他她它'.split(''));

/** Question and filler words as character bigrams: they say how something is asked, not what it is about. */
export const ZH_STOP_BIGRAMS: ReadonlySet<string> = new Set(
  ('什么 怎么 怎样 如何 为什么 哪些 哪个 哪里 哪儿 多少 多久 几个 几天 是否 是不 不是 有没 没有 可以 能不 需要 应该 时候 一下 一个 这个 那个 这些 那些 ' +
    '现在 目前 请问 一般 通常 具体 主要 之后 之前 以后 以前 的话 还是 或者 如果 因为 所以 但是 而且 就是 只是 大概 多长 要不 的时 么时 么样')
    .split(/\s+/)
    .flatMap((w) => (w.length === 2 ? [w] : [w.slice(0, 2), w.slice(1, 3)])),
);

/** The same kind of words as whole dictionary words (jieba), for the word tokens. */
export const ZH_STOP_WORDS: ReadonlySet<string> = new Set(
  ('什么 怎么 怎样 如何 为什么 哪些 哪个 哪里 多少 多久 是否 有没有 没有 可以 能不能 需要 应该 时候 一下 一个 这个 那个 这些 那些 ' +
    '现在 目前 请问 一般 通常 具体 主要 之后 之前 以后 以前 的话 还是 或者 如果 因为 所以 但是 而且 就是 只是 大概 我们 你们 他们 自己 这样 那样 这种 哪种').split(/\s+/),
);

/** Not key terms: the tokenizer's list and words too common in mail and chat to name a topic. */
export const TERM_STOPWORDS: ReadonlySet<string> = new Set([
  ...EN_STOPWORDS,
  ...(
    'yes yeah sure well really still even much many lot lots thing things something anything nothing everything someone ' +
    'anyone everyone way one two three know think like want need make made take took going go went come came see seen look looks said ' +
    'say says tell told give gave put use used using try tried work works worked good great new old first last next back now today ' +
    'tomorrow yesterday time times day days week weeks month months year years since until while because though although however ' +
    'maybe perhaps probably already always never sometimes often around within without between after before during against among ' +
    'able sent send call let me know question questions help file attached attach find found keep kept seem seems right left ' +
    'http https www com org html mr mrs ms dear regards best cheers sincerely im ive dont didnt doesnt cant wont isnt arent wasnt thats theres youre weve ' +
    'set end bit done ask asked add added making include including already actually'
  ).split(/\s+/),
]);

/** Chat filler that says nothing about a topic, on top of the tokenizer's stop words. */
export const CHAT_FILLER: ReadonlySet<string> = new Set(
  ('ll ve re don didn doesn isn wasn aren won can couldn wouldn shouldn hey hi hello thank thanks thx guy folk yeah yes yep nope ' +
    'think know like just really want need see use make go going say said look thing stuff lot much many well sure good great nice cool ' +
    'awesome one two also still even now today tomorrow yesterday time way something anything everyone anyone someone people com www http https ' +
    'org net html php amp gt lt simple_smile smile slightly_smiling_face joy wink sorry maybe actually probably though already able ' +
    'uh um umm hmm oh ok okay sorta kinda gonna wanna lol btw fyi anyway guess ' +
    '谢谢 大家 一下 哈哈 好的 可以 没有 我们 你们 他们').split(/\s+/),
);
