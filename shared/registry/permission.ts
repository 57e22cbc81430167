// The check kaniko makes before a build (ggcr remote.CheckPushPermission): start a blob upload
// with a push-scoped token, then cancel it. Whether to skip it is the caller's decision.
import { isKilnError, KilnError } from '../errors.ts';
import type { Reference } from '../reference/index.ts';
import { type ClientContext, pushScope, retrying } from './context.ts';
import { header } from './session.ts';

export async function checkPushPermission(ctx: ClientContext, ref: Reference): Promise<void> {
  const what = `checking push permission for ${ref.registry}/${ref.repository}`;
  const base = { registry: ref.registry, repository: ref.repository, direction: 'push' as const, scopes: [pushScope(ref.repository)] };
  try {
    await retrying(ctx, 'push', what, async () => {
      const res = await ctx.session.send({ ...base, method: 'POST', path: `/v2/${ref.repository}/blobs/uploads/`, ok: [202] });
      await res.body.dump();
      const location = header(res, 'location');
      if (location === undefined) return;
      const del = await ctx.session.send({ ...base, method: 'DELETE', path: location, ok: [200, 202, 204, 404, 405] }).catch(() => undefined);
      await del?.body.dump();
    });
  } catch (cause) {
    const code = isKilnError(cause) ? cause.code : 'E_REGISTRY';
    throw new KilnError(code === 'E_REGISTRY_AUTH' ? 'E_REGISTRY_AUTH' : code, `${what}: ${(cause as Error).message}`, {
      cause,
      hint: code === 'E_REGISTRY_AUTH'
        ? `check the credentials for ${ref.registry}, or pass --skip-push-permission-check to build anyway`
        : `check that ${ref.registry} is reachable, or pass --skip-push-permission-check to build anyway`,
    });
  }
}
