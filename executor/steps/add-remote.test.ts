import { describe, expect, it } from 'vitest';
import { isGitSource, parseGitSource } from './add-git.ts';
import { displayUrl, splitCredentials } from '../context/http-get.ts';
import { fileName, isRemoteUrl, parseChecksum } from './add-remote.ts';

describe('ADD source helpers', () => {
  it('names a download from Content-Disposition, else the URL path, else "download"', () => {
    expect(fileName('http://127.0.0.1/a/b/tool.tar.gz?sig=1', undefined)).toBe('tool.tar.gz');
    expect(fileName('http://127.0.0.1/dl', 'attachment; filename="real name.txt"')).toBe('real name.txt');
    expect(fileName('http://127.0.0.1/dl', "attachment; filename*=UTF-8''caf%C3%A9.txt")).toBe('café.txt');
    expect(fileName('http://127.0.0.1/', undefined)).toBe('download');
    expect(fileName('http://127.0.0.1/x/%2E%2E', 'attachment; filename="../../etc/passwd"')).toBe('passwd');
  });

  it('turns user info into a Basic header and takes it out of the URL', () => {
    expect(splitCredentials('https://u:p%40ss@127.0.0.1/f?x=1')).toEqual({ target: 'https://127.0.0.1/f?x=1', authorization: `Basic ${Buffer.from('u:p@ss').toString('base64')}` });
    expect(splitCredentials('https://127.0.0.1/f')).toEqual({ target: 'https://127.0.0.1/f' });
  });

  it('hides user info and query strings in messages', () => {
    expect(displayUrl('https://user:pw@127.0.0.1/f.txt?X-Amz-Signature=abc')).toBe('https://***@127.0.0.1/f.txt?…');
  });

  it('parses --checksum values and rejects bad ones', () => {
    expect(parseChecksum(`sha256:${'a'.repeat(64)}`, 'ADD')).toEqual({ algorithm: 'sha256', hex: 'a'.repeat(64) });
    expect(parseChecksum(`sha512:${'b'.repeat(128)}`, 'ADD').algorithm).toBe('sha512');
    expect(() => parseChecksum('sha256:abc', 'ADD')).toThrow(/invalid --checksum/);
    expect(() => parseChecksum(`md5:${'a'.repeat(32)}`, 'ADD')).toThrow(/invalid --checksum/);
  });

  it('tells git sources from URLs as BuildKit does', () => {
    expect(isGitSource('https://127.0.0.1/org/repo.git#main:docs')).toBe(true);
    expect(isGitSource('git@127.0.0.1:org/repo.git')).toBe(true);
    expect(isGitSource('git://127.0.0.1/repo')).toBe(true);
    expect(isGitSource('https://127.0.0.1/file.tar.gz')).toBe(false);
    expect(isRemoteUrl('https://127.0.0.1/file.tar.gz')).toBe(true);
    expect(isRemoteUrl('local/file')).toBe(false);
    expect(parseGitSource('https://127.0.0.1/r.git#v1.2:sub/dir')).toEqual({ remote: 'https://127.0.0.1/r.git', ref: 'v1.2', subdir: 'sub/dir' });
    expect(parseGitSource('git://127.0.0.1/r.git#:sub')).toEqual({ remote: 'git://127.0.0.1/r.git', subdir: 'sub' });
    expect(parseGitSource('git://127.0.0.1/r.git')).toEqual({ remote: 'git://127.0.0.1/r.git' });
  });
});
