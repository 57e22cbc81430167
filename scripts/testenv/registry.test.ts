import { expect, test } from 'vitest';
import { parseRequests } from './registry.ts';

test('parseRequests reads the access-log lines and skips the JSON application log', () => {
  const log = [
    '{"level":"info","msg":"listening on 127.0.0.1:5000","time":"2026-11-27T14:35:34Z"}',
    '127.0.0.1 - - [27/Nov/2026:14:35:34 +0000] "GET /v2/ HTTP/1.1" 401 87 "" "skopeo/1.9.3"',
    '{"http.request.method":"HEAD","msg":"response completed","http.response.status":200}',
    '127.0.0.1 - - [27/Nov/2026:14:35:35 +0000] "PUT /v2/kiln/busybox/manifests/v2s2 HTTP/2.0" 201 0 "" "skopeo/1.9.3"',
    '',
  ].join('\n');
  expect(parseRequests(log)).toEqual([
    { method: 'GET', uri: '/v2/', status: 401 },
    { method: 'PUT', uri: '/v2/kiln/busybox/manifests/v2s2', status: 201 },
  ]);
});
