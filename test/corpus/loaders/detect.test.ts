import { decodeText, looksBinary } from '../../../src/corpus/loaders/decode';
import { detectFormat, looksLikeEmail, looksLikeMbox } from '../../../src/corpus/loaders/detect';

const head = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);

describe('detectFormat', () => {
  it('decides by content first: PDF, zip, mail, mbox, HTML; then by extension', () => {
    expect(detectFormat('a.txt', head('%PDF-1.7\n'))).toBe('pdf');
    expect(detectFormat('a.docx', head(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0])))).toBe('zip');
    expect(detectFormat('note.txt', head('Return-Path: <a@x>\nReceived: from x\nFrom: a@x\nSubject: s\n\nbody'))).toBe('email');
    expect(detectFormat('inbox', head('From a@x Mon Nov 10 2025\nFrom: a@x\nSubject: s\n\nbody'))).toBe('mbox');
    expect(detectFormat('page', head('<!-- saved -->\n<!DOCTYPE html><html></html>'))).toBe('html');
    expect(detectFormat('a.json', head('{}'))).toBe('json');
    expect(detectFormat('a.MD', head('# x'))).toBe('markdown');
    expect(detectFormat('a.eml', head('X-Custom: 1\n\nbody'))).toBe('email');
    expect(detectFormat('script.py', head('print(1)'))).toBe('text');
    expect(detectFormat('a.bin', head(Buffer.from([1, 0, 2])))).toBe('binary');
  });

  it('accepts a single known header only for files where mail lives', () => {
    const text = 'Subject: hello\nX-Thing: 1\n\nbody';
    expect(looksLikeEmail(text)).toBe(false);
    expect(detectFormat('maildir/cur/1700000000.M1.host', head(text))).toBe('email');
    expect(detectFormat('sent/12.', head(text))).toBe('email');
    expect(detectFormat('notes/12.txt', head(text))).toBe('text');
  });

  it('does not take front matter, prose or a folded first line for headers', () => {
    expect(looksLikeEmail('---\ntitle: x\n---\n')).toBe(false);
    expect(looksLikeEmail('From: me\nThis is prose, not a header.\n')).toBe(false);
    expect(looksLikeEmail(' folded: x\nFrom: a\nDate: b\n')).toBe(false);
    expect(looksLikeMbox('From here on we talk.\n')).toBe(false);
  });
});

describe('text decoding', () => {
  it('tells binary from text', () => {
    expect(looksBinary(Buffer.from('plain\ttext\r\n\x1b[0m'))).toBe(false);
    expect(looksBinary(Buffer.from([0xff, 0xfe, 0x41, 0]))).toBe(false);
    expect(looksBinary(Buffer.from([0x41, 0, 0x42]))).toBe(true);
  });

  it('decodes UTF-8 (with or without BOM), UTF-16 by BOM, and Windows-1252 otherwise', () => {
    expect(decodeText(Buffer.from('\uFEFF连接池'))).toBe('连接池');
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from([0x00, 0x41])]))).toBe('A');
    expect(decodeText(Buffer.from([0x93, 0x41, 0x94, 0x20, 0x80, 0x35]))).toBe('“A” €5');
  });
});
