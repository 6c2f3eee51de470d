import { Writable } from 'node:stream';
import { UnderstudyError } from '../../src/errors';
import { createLogger } from '../../src/log';

/** Log one error through the production logger and return the JSON line. */
function logged(err: unknown): { text: string; line: Record<string, any> } {
  let text = '';
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  createLogger({ level: 'debug', destination }).error({ err }, 'call failed');
  return { text, line: JSON.parse(text) };
}

/** What an HTTP client error (axios under the Feishu SDK, the Slack WebClient's `original`) carries. */
function httpClientError(): Error {
  const err = new Error('Request failed with status code 401') as Error & Record<string, unknown>;
  err.code = 'ERR_BAD_REQUEST';
  err.config = { url: 'https://open.feishu.cn/open-apis/im/v1/messages', headers: { Authorization: 'Bearer t-SECRET-TENANT-TOKEN' } };
  err.request = { _header: 'POST /open-apis/im/v1/messages\r\nAuthorization: Bearer t-SECRET-TENANT-TOKEN\r\n' };
  err.response = { status: 401, headers: { 'set-cookie': 'session=SECRET-COOKIE' }, data: { msg: 'invalid token' } };
  return err;
}

describe('errors in logs', () => {
  it('keep the stack, the code and the cause chain', () => {
    const root = new Error('socket hang up');
    const err = new UnderstudyError('PLATFORM_TRANSIENT', 'Feishu im.v1.message.create failed', { cause: root });
    const { line, text } = logged(err);
    expect(line.err.message).toContain('Feishu im.v1.message.create failed');
    expect(line.err.code).toBe('PLATFORM_TRANSIENT');
    expect(line.err.stack).toContain('log-errors.test.ts');
    expect(text).toContain('socket hang up');
  });

  it('never carry an HTTP client error\'s headers, request or response, even as a cause', () => {
    const direct = logged(httpClientError());
    const wrapped = logged(new UnderstudyError('PLATFORM_AUTH', 'Feishu app "hub" could not start', { cause: httpClientError() }));
    for (const { text } of [direct, wrapped]) {
      expect(text).toContain('Request failed with status code 401');
      expect(text).not.toContain('SECRET');
    }
    expect(direct.line.err.code).toBe('ERR_BAD_REQUEST');
    expect(direct.line.err.status).toBe(401);
  });

  it('mask secret-named fields an error carries', () => {
    const err = Object.assign(new Error('bad app'), { appSecret: 'SECRET-APP', token: 'xoxb-SECRET', details: { encryptKey: 'SECRET-KEY', file: 'a.yaml' } });
    const { text, line } = logged(err);
    expect(text).not.toContain('SECRET');
    expect(line.err.details.file).toBe('a.yaml');
  });

  it('log a thrown non-Error as it is', () => {
    expect(logged('plain string').line.err).toBe('plain string');
  });
});
