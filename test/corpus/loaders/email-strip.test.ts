import { splitOwnText, stripSignOff, signOffNames } from '../../../src/corpus/loaders/email-strip';

describe('splitOwnText', () => {
  it('cuts a top-posted reply at "On ... wrote:" and keeps the quoted message as context', () => {
    const body = 'Keep it at 40 per pod.\n\nOn Mon, 10 Nov 2025 at 18:00, Liu Yang <liu@x.example> wrote:\n> Can we raise the pool to 80?\n> It would help the peak.\n';
    const r = splitOwnText(body);
    expect(r.own).toBe('Keep it at 40 per pod.');
    expect(r.quoted).toContain('Can we raise the pool to 80?');
    expect(r.quoted).not.toMatch(/^>/m);
  });

  it('recognises an attribution split over two lines', () => {
    const body = 'Agreed.\n\nOn Mon, Nov 10, 2025 at 6:00 PM Liu Yang <\nliu@x.example> wrote:\n> raise it?\n';
    expect(splitOwnText(body).own).toBe('Agreed.');
  });

  it('keeps the answers of an interleaved reply and drops the quoted lines between them', () => {
    const body = 'On Tue, Liu Yang wrote:\n> Pool size?\n40.\n> Deadline?\nFriday.\n';
    expect(splitOwnText(body).own).toBe('40.\nFriday.');
  });

  it('does not take "he wrote:" in running text for an attribution', () => {
    const body = 'Here is what the vendor wrote:\nthe patch ships Friday.\n';
    expect(splitOwnText(body).own).toBe('Here is what the vendor wrote:\nthe patch ships Friday.');
  });

  it('cuts at an Outlook -----Original Message----- and at a bare From:/Sent: header block', () => {
    const outlook = 'Please call with questions.\n\n -----Original Message-----\nFrom: \tWebb, Jay  \nSent:\tSunday, December 02, 2001 6:19 PM\nTo:\tAllen, Phillip K.\nSubject:\tcharts\n\nsee attached';
    const r = splitOwnText(outlook);
    expect(r.own).toBe('Please call with questions.');
    expect(r.quoted).toBe('From: Webb, Jay\nSubject: charts\nsee attached');
    const bare = 'Thanks for this.\n\nFrom: Zhao Min\nSent: Monday\nTo: team\n\nthe numbers';
    expect(splitOwnText(bare).own).toBe('Thanks for this.');
    const sentOnly = 'Sad news.\n\n Sent: Friday, October 05, 2001 3:04 PM\nSubject: From Anne\nJessica and John,';
    expect(splitOwnText(sentOnly).own).toBe('Sad news.');
  });

  it('keeps a "From:" line that is not a header block', () => {
    expect(splitOwnText('From: the ops team, not me.\nThat is all.').own).toBe('From: the ops team, not me.\nThat is all.');
  });

  it('cuts Lotus Notes forwards, Notes reply headers and "Original Appointment" blocks', () => {
    const forwarded = 'FYI\n---------------------- Forwarded by Phillip K Allen/HOU/ECT on 05/01/2001 02:14 PM ---------------------------\n\nsurvey text';
    expect(splitOwnText(forwarded).own).toBe('FYI');
    const notes = 'See below.\n\nOutlook Migration Team@ENRON\n05/11/2001 01:49 PM\nTo:\tCheryl Wilchynski/HR/Corp/Enron@ENRON\ncc:\nSubject: survey';
    expect(splitOwnText(notes).own).toBe('See below.');
    const inline = 'Noted.\n\tRay Alvarez 05/31/2001 11:55 AM \t   To: Bernadette Hawkins/Corp/Enron@ENRON  cc:   Subject: Re: call';
    expect(splitOwnText(inline).own).toBe('Noted.');
    expect(splitOwnText('I cannot make it.\n\n -----Original Appointment-----\nFrom: Yevgeny').own).toBe('I cannot make it.');
  });

  it('cuts Gmail, Apple Mail and Chinese-client forwards and replies', () => {
    expect(splitOwnText('fyi\n\n---------- Forwarded message ---------\nFrom: A <a@x>\nDate: Mon\n\nbody').own).toBe('fyi');
    expect(splitOwnText('see this\n\nBegin forwarded message:\n\nFrom: A').own).toBe('see this');
    expect(splitOwnText('同意。\n\n------------------ 原始邮件 ------------------\n发件人: 赵敏\n发送时间: 2025年11月12日').own).toBe('同意。');
    expect(splitOwnText('好的\n\n在 2025年11月12日 16:30，赵敏 写道：\n> 能不能给个数字？').own).toBe('好的');
    expect(splitOwnText('好的\n\n发件人: 赵敏\n收件人: 张建国\n主题: 连接池').own).toBe('好的');
  });

  it('drops the signature after "-- " but still finds the quoted message below it', () => {
    const body = 'Deploy at 10.\n\n-- \nZhang Jianguo | Payments\n\nOn Mon, Liu Yang <l@x> wrote:\n> when?';
    const r = splitOwnText(body);
    expect(r.own).toBe('Deploy at 10.');
    expect(r.quoted).toContain('when?');
  });

  it('strips a sign-off block with name and contact details, using the sender names', () => {
    const body = 'Jeff,\n\nCan you resend the info?\n\nThank you,\n\nPhillip Allen\n713-853-7041';
    expect(splitOwnText(body, ['Phillip K. Allen']).own).toBe('Jeff,\n\nCan you resend the info?');
    expect(splitOwnText('Please review.\n\nPhillip\nx37041', ['Phillip K. Allen']).own).toBe('Please review.');
    expect(splitOwnText('Proposal attached.\n\nLiu Yang\nSRE, Payments', ['Liu Yang']).own).toBe('Proposal attached.');
    expect(splitOwnText('同意。\n\n建国', ['张建国']).own).toBe('同意。');
    expect(splitOwnText('On my way.\n\nSent from my iPhone').own).toBe('On my way.');
  });

  it('keeps a trailing line that is content, and keeps a message that is nothing but a sign-off', () => {
    expect(splitOwnText('Let me know.\n\nPhillip\n\nP.S. bring the lease', ['Phillip Allen']).own).toBe('Let me know.\n\nPhillip\n\nP.S. bring the lease');
    expect(splitOwnText('Thanks!', ['Phillip Allen']).own).toBe('Thanks!');
  });

  it('returns no own text for a bare forward', () => {
    const r = splitOwnText('\n\n -----Original Message-----\nFrom: Webb, Jay\nSent: Monday\nSubject: report\n\n');
    expect(r.own).toBe('');
    expect(r.quoted).toBe('From: Webb, Jay\nSubject: report');
  });
});

describe('stripSignOff', () => {
  it('recognises first names, full names and "Last, First" forms', () => {
    const names = signOffNames(['Allen, Phillip K.']);
    expect(stripSignOff('text\n\nPhillip', names)).toBe('text');
    expect(stripSignOff('text\n\nPhillip K. Allen', names)).toBe('text');
    expect(stripSignOff('text\n\nMatt Smith', names)).toBe('text\n\nMatt Smith');
  });
});
