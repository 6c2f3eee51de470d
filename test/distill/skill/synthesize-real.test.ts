import { anchorsIn, checkSkill, synthesizeSkill, type EvidenceChunk, type SynthesisResult } from '../../../src/distill/skill';
import { ALLEN, allenEvidence, HEATHER, section, slackEvidence } from './evidence';
import { describeCorpora } from '../../helpers/corpora';

const WORK = ['Responsibilities', 'Systems owned', 'Procedures', 'Decision heuristics', 'Gotchas', 'Who to ask'];
const PERSONA = ['Tone', 'Typical phrases', 'Language mix', 'Formality', 'Greetings and sign-offs', 'Boundaries'];

function claimLines(text: string): string[] {
  return text.split('\n').filter((l) => /^(?:- |\d+\. |\*\*)/.test(l));
}

describeCorpora('offline synthesis of Phillip Allen (Enron sent mail)', () => {
  let chunks: EvidenceChunk[];
  let result: SynthesisResult;

  beforeAll(async () => {
    chunks = await allenEvidence();
    result = await synthesizeSkill({ person: ALLEN, chunks });
  });

  it('prints every required section in order', () => {
    const headings = result.markdown.split('\n').filter((l) => /^#{1,3} /.test(l));
    expect(headings[0]).toBe('# Skill: Phillip Allen');
    expect(headings).toEqual(['# Skill: Phillip Allen', '## Work', ...WORK.map((h) => `### ${h}`), '## Persona', ...PERSONA.map((h) => `### ${h}`), '## Honest limits', '## Corrections']);
  });

  it('anchors only to chunks it was given, and reports them as evidence', () => {
    const ids = new Set(chunks.map((c) => c.id));
    const used = anchorsIn(result.markdown);
    expect(used.length).toBeGreaterThan(100);
    expect(used.every((a) => ids.has(a))).toBe(true);
    expect(result.evidence).toEqual([...new Set(used)].sort((a, b) => a - b));
    expect(result.stats.chunks).toBe(chunks.length);
    expect(result.stats.anchors).toBe(used.length);
  });

  it('ends every Work and Persona claim line with an anchor', () => {
    for (const h of WORK) for (const l of claimLines(section(result.markdown, 'Work', h))) expect(l).toMatch(/\[e:\d+\]$/);
    for (const h of PERSONA) for (const l of claimLines(section(result.markdown, 'Persona', h))) expect(l).toMatch(/\[e:\d+\]$/);
  });

  it('finds his two lives: gas trading on the west desk and real estate around San Marcos', () => {
    const work = section(result.markdown, 'Work');
    expect(work).toMatch(/trading track/i);
    expect(work).toMatch(/\bVAR\b/);
    expect(work).toMatch(/\bwest\b/i);
    expect(section(result.markdown, 'Work', 'Responsibilities')).toMatch(/propert/i);
  });

  it('names work systems under Systems owned, not the places and people of his private life', () => {
    const systems = section(result.markdown, 'Work', 'Systems owned');
    for (const off of ['San Marcos', 'Kerrville', 'Leander', 'San Antonio', 'Austin', 'Braunfels', 'Pauline Kuo', 'Bishops Corner', 'Bank One']) expect(systems).not.toMatch(new RegExp(`\\*\\*${off}\\*\\*`));
    expect(systems).toMatch(/\*\*VAR\*\*/);
    expect(systems).toMatch(/\*\*P&L\*\*/);
  });

  it('skill check calls a Systems section of private places and people hollow', () => {
    const ids = new Set(chunks.map((c) => c.id));
    const textOf = new Map(chunks.map((c) => [c.id, c.text]));
    const about = (needle: string): number[] => chunks.filter((c) => c.text.includes(needle)).map((c) => c.id).slice(0, 3);
    const line = (name: string, quote: string): string => `- **${name}** — 3 messages, 2001-06 to 2001-11: “${quote}” ${about(name).map((id) => `[e:${id}]`).join(' ')}`;
    const bad = [
      line('San Marcos', 'I am planning to build a home in San Marcos as soon as I can decide on a builder and materials.'),
      line('Kerrville', 'The lot in Kerrville is substantially more expensive than our lot in San Marcos, so we are really stretched to make this house work financially.'),
      line('Pauline Kuo', 'If you can believe it I have been unable to get with Pauline Kuo to sign all the agreements.'),
      line('VAR', "If the VAR calculation does not match the company's true risk then it needs to be revised or adjusted."),
    ].join('\n');
    const md = result.markdown.replace(/### Systems owned\n[\s\S]*?\n### /, `### Systems owned\n\n${bad}\n\n### `);
    expect(section(md, 'Work', 'Systems owned')).toMatch(/San Marcos/);
    const q = checkSkill(md, ids, (id) => textOf.get(id));
    const systems = q.sections.find((s) => s.section === 'Work/Systems owned');
    expect(systems?.hollow).toBe(true);
    expect(systems?.reason).toMatch(/not work systems: San Marcos \(place\), Kerrville \(place\), Pauline Kuo \(person\)/);
    expect(q.hollow).toBe(true);
    // Without the evidence text, the claim lines alone still give it away.
    expect(checkSkill(md, ids).sections.find((s) => s.section === 'Work/Systems owned')?.hollow).toBe(true);
  });

  it('does not carry an earlier Systems claim about his private life into a re-distillation', async () => {
    const about = (needle: string): string => chunks.filter((c) => c.text.includes(needle)).map((c) => `[e:${c.id}]`).slice(0, 3).join(' ');
    const previous = result.markdown.replace(
      /### Systems owned\n\n/,
      `### Systems owned\n\n- **San Marcos** — 6 messages, 2001-06 to 2001-11: “I am planning to build a home in San Marcos as soon as I can decide on a builder and materials.” ${about('San Marcos')}\n`,
    );
    expect(section(previous, 'Work', 'Systems owned')).toMatch(/San Marcos/);
    const again = await synthesizeSkill({ person: ALLEN, chunks, previous });
    expect(section(again.markdown, 'Work', 'Systems owned')).not.toMatch(/San Marcos/);
    expect(again.changes.join('\n')).toMatch(/removed Work\/Systems owned: San Marcos .*\(not a work system: place\)/);
  });

  it('quotes decisions with their month and conditional rules with their numbers', () => {
    const h = section(result.markdown, 'Work', 'Decision heuristics');
    expect(h).toMatch(/Decided \(2001-\d\d\): “.*decided to graduate Matt Smith/);
    expect(h).toMatch(/“If .*\$/m);
  });

  it('names the people he writes to, with full names taken from the mail he answers', () => {
    const who = section(result.markdown, 'Work', 'Who to ask');
    expect(who).toMatch(/\*\*Jeff Smith\*\*/);
    expect(who).not.toMatch(/Phillip/);
  });

  it('describes his style from counts: short e-mails, “<name>,” greetings, “let me know”', () => {
    expect(section(result.markdown, 'Persona', 'Tone')).toMatch(/median message \d+ words/);
    expect(section(result.markdown, 'Persona', 'Greetings and sign-offs')).toMatch(/“<name>,” \(\d{3}\)/);
    expect(section(result.markdown, 'Persona', 'Typical phrases')).toMatch(/“let me know”/);
    expect(section(result.markdown, 'Persona', 'Language mix')).toMatch(/English: 100%/);
  });

  it('says what the material lacks: the period, attachments such as spreadsheets, forwards', () => {
    const limits = section(result.markdown, 'Honest limits');
    expect(limits).toMatch(/Covers 2001-\d\d to 2001-12 only/);
    expect(limits).toMatch(/attachments, spreadsheets or files/);
    expect(limits).toMatch(/forwards/);
  });

  it('passes its own quality check', () => {
    const q = checkSkill(result.markdown, new Set(chunks.map((c) => c.id)));
    expect(q.unresolvedAnchors).toEqual([]);
    expect(q.sections.filter((s) => s.hollow)).toEqual([]);
    expect(q.hollow).toBe(false);
    const systems = q.sections.find((s) => s.section === 'Work/Systems owned');
    expect(systems?.anchorsPerClaim).toBeGreaterThanOrEqual(2);
  });

  it('samples a 5,000-chunk corpus down to maxChunks in seconds, keeping anchors valid', async () => {
    // Sixteen copies of the mail, renumbered and moved a year apart each, stand in for a big corpus.
    const big: EvidenceChunk[] = [];
    for (let k = 0; k < 16; k++) {
      for (const c of chunks) big.push({ ...c, id: big.length + 1, source: `${k}/${c.source}`, date: c.date?.replace(/^\d{4}/, (y) => String(Number(y) + k)) });
    }
    expect(big.length).toBeGreaterThan(5000);
    const started = Date.now();
    const r = await synthesizeSkill({ person: ALLEN, chunks: big }, { maxChunks: 3000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stats.chunks).toBe(3000);
    const ids = new Set(big.map((c) => c.id));
    expect(r.evidence.every((id) => ids.has(id))).toBe(true);
    expect(section(r.markdown, 'Honest limits')).toMatch(/sample of 3000 of \d{4} chunks/);
  });
});

describeCorpora('offline synthesis of a Slack export user (Heather Turner, R Contributors)', () => {
  let chunks: EvidenceChunk[];
  let result: SynthesisResult;

  beforeAll(async () => {
    chunks = await slackEvidence();
    result = await synthesizeSkill({ person: HEATHER, chunks });
  });

  it('gets the R development work: R-devel, bug reports, procedures with commands', () => {
    expect(section(result.markdown, 'Work', 'Systems owned')).toMatch(/\*\*R-devel\*\*/);
    expect(section(result.markdown, 'Work', 'Responsibilities')).toMatch(/bug/i);
    const procs = section(result.markdown, 'Work', 'Procedures');
    expect(procs).toMatch(/^1\. /m);
    expect(procs).toMatch(/`make check`/);
  });

  it('names people from threads and @mentions, and her “Hi <name>” greeting', () => {
    expect(section(result.markdown, 'Work', 'Who to ask')).toMatch(/Lluís Revilla Sancho/);
    expect(section(result.markdown, 'Persona', 'Greetings and sign-offs')).toMatch(/“Hi <name>,”/);
    expect(section(result.markdown, 'Persona', 'Language mix')).toMatch(/backticks/);
  });

  it('lists the channels in its honest limits and anchors only to her chunks', () => {
    expect(section(result.markdown, 'Honest limits')).toMatch(/#core-dev-help/);
    const ids = new Set(chunks.map((c) => c.id));
    expect(anchorsIn(result.markdown).every((a) => ids.has(a))).toBe(true);
    expect(checkSkill(result.markdown, ids).hollow).toBe(false);
  });
});
