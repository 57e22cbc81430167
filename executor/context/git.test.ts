import { describe, expect, it } from 'vitest';
import { gitEnv, isGitUrl, parseGitContext } from './git.ts';

const opts = { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false };

function config(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < Number(env.GIT_CONFIG_COUNT); i++) out[env[`GIT_CONFIG_KEY_${i}`] as string] = env[`GIT_CONFIG_VALUE_${i}`] as string;
  return out;
}

describe('git contexts', () => {
  it("read kaniko's git://host/repo.git#ref#commit, fetched over https unless GIT_PULL_METHOD=http", () => {
    expect(parseGitContext('git://github.com/o/r.git', {})).toEqual({ remote: 'https://github.com/o/r.git' });
    expect(parseGitContext('git://github.com/o/r.git#refs/heads/dev#0123abc', { GIT_PULL_METHOD: 'http' })).toEqual({
      remote: 'http://github.com/o/r.git', ref: 'refs/heads/dev', commit: '0123abc',
    });
    expect(parseGitContext('git://h/r.git', { GIT_PULL_METHOD: 'ssh' }).remote).toBe('https://h/r.git'); // kaniko: unknown → https
    expect(parseGitContext('https://h/r.git##abc', {})).toEqual({ remote: 'https://h/r.git', commit: 'abc' });
    expect(isGitUrl('https://h/o/r.git')).toBe(true);
    expect(isGitUrl('https://h/o/r.git#refs/pull/1/head')).toBe(true);
    expect(isGitUrl('https://h/o/ctx.tar.gz')).toBe(false);
    expect(isGitUrl('https://h/o/r.git.tar.gz')).toBe(false);
  });

  it('pass credentials as an extraHeader scoped to the origin, in the environment only (GIT_TOKEN wins, as kaniko)', () => {
    const basic = (s: string): string => `Authorization: Basic ${Buffer.from(s).toString('base64')}`;
    const env = gitEnv('https://git.example:8443/o/r.git', { env: { GIT_USERNAME: 'u', GIT_PASSWORD: 'p', PATH: '/bin', AWS_SECRET_ACCESS_KEY: 'x' }, git: opts });
    expect(config(env)['http.https://git.example:8443/.extraHeader']).toBe(basic('u:p'));
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined(); // git sees only what it needs
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    const token = gitEnv('https://h/r.git', { env: { GIT_USERNAME: 'u', GIT_PASSWORD: 'p', GIT_TOKEN: 'tok' }, git: opts });
    expect(config(token)['http.https://h/.extraHeader']).toBe(basic('tok:'));
    const none = gitEnv('https://h/r.git', { env: {}, git: { ...opts, insecureSkipTls: true } });
    expect(Object.keys(config(none)).some((k) => k.includes('extraHeader'))).toBe(false);
    expect(config(none)['http.sslVerify']).toBe('false');
  });
});
