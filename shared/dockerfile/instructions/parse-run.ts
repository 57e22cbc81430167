// RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL: the instructions with a command.
import { parseCommandForm, parseJsonArgs } from './command-form.ts';
import { parseGoDuration } from './duration.ts';
import { parseMount } from './mount.ts';
import { base, defined, fail, flagsOf, located, stringFlag, type ParseRequest } from './parse-context.ts';
import type {
  CmdInstruction, Command, EntrypointInstruction, HealthcheckInstruction, RunInstruction, RunNetwork, RunSecurity,
  ShellInstruction,
} from './types.ts';

const RUN_FLAGS = { mount: 'strings', network: 'string', security: 'string' } as const;
const HEALTH_FLAGS = {
  interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string',
} as const;
const NETWORKS: readonly string[] = ['default', 'none', 'host'];
const SECURITY: readonly string[] = ['sandbox', 'insecure'];

function command(req: ParseRequest): Command {
  if (req.node.rest === '') fail(req, `${req.name} requires at least one argument`);
  return located(req, () => parseCommandForm(req.node.rest));
}

export function parseRun(req: ParseRequest): RunInstruction {
  const flags = flagsOf(req, RUN_FLAGS);
  const network = stringFlag(flags, 'network');
  if (network !== undefined && !NETWORKS.includes(network)) {
    fail(req, `unsupported network mode "${network}"`, { hint: 'use --network=default, none or host' });
  }
  const security = stringFlag(flags, 'security');
  if (security !== undefined && !SECURITY.includes(security)) {
    fail(req, `unsupported security mode "${security}"`, { hint: 'use --security=sandbox or insecure' });
  }
  const cmd = command(req);
  const mounts = (flags.lists.get('mount') ?? []).map((spec) => located(req, () => parseMount(spec)));
  return defined({
    kind: 'RUN',
    ...base(req),
    command: cmd,
    heredocs: cmd.form === 'shell' ? req.node.heredocs : [],
    mounts,
    network: network as RunNetwork | undefined,
    security: security as RunSecurity | undefined,
  } satisfies RunInstruction);
}

export function parseCmd(req: ParseRequest): CmdInstruction {
  flagsOf(req, {});
  return { kind: 'CMD', ...base(req), command: command(req) };
}

export function parseEntrypoint(req: ParseRequest): EntrypointInstruction {
  flagsOf(req, {});
  return { kind: 'ENTRYPOINT', ...base(req), command: command(req) };
}

export function parseShell(req: ParseRequest): ShellInstruction {
  flagsOf(req, {});
  const args = located(req, () => parseJsonArgs(req.node.rest));
  if (args === undefined) fail(req, 'SHELL requires the arguments to be in JSON form', { hint: 'write SHELL ["/bin/sh", "-c"]' });
  if (args.length === 0) fail(req, 'SHELL requires at least one argument');
  return { kind: 'SHELL', ...base(req), shell: args };
}

function duration(req: ParseRequest, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ns = located(req, () => parseGoDuration(value));
  if (ns !== 0 && ns < 1e6) fail(req, `Interval "${name}" cannot be less than 1ms`);
  return ns;
}

export function parseHealthcheck(req: ParseRequest): HealthcheckInstruction {
  const rest = req.node.rest;
  if (rest === '') fail(req, 'HEALTHCHECK requires at least one argument');
  const m = /^(\S+)\s*([^]*)$/u.exec(rest) as RegExpExecArray;
  const type = (m[1] as string).toUpperCase();
  const args = m[2] as string;
  if (type === 'NONE') {
    if (args !== '') fail(req, 'HEALTHCHECK NONE takes no arguments');
    if (req.node.flags.length > 0) fail(req, 'HEALTHCHECK NONE takes no options');
    return { kind: 'HEALTHCHECK', ...base(req), test: ['NONE'] };
  }
  const flags = flagsOf(req, HEALTH_FLAGS);
  if (type !== 'CMD') fail(req, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (args === '') fail(req, 'Missing command after HEALTHCHECK CMD');
  const form = located(req, () => parseCommandForm(args));
  if (form.form === 'exec' && form.args.length === 0) fail(req, 'Missing command after HEALTHCHECK CMD');
  const test = form.form === 'exec' ? ['CMD', ...form.args] : ['CMD-SHELL', form.command];
  let retries: number | undefined;
  const r = stringFlag(flags, 'retries');
  if (r !== undefined) {
    if (!/^[+-]?\d+$/.test(r)) fail(req, `strconv.ParseInt: parsing "${r}": invalid syntax`);
    retries = parseInt(r, 10);
    if (retries < 1) fail(req, `--retries must be at least 1 (not ${retries})`);
  }
  return defined({
    kind: 'HEALTHCHECK',
    ...base(req),
    test,
    interval: duration(req, 'interval', stringFlag(flags, 'interval')),
    timeout: duration(req, 'timeout', stringFlag(flags, 'timeout')),
    startPeriod: duration(req, 'start-period', stringFlag(flags, 'start-period')),
    startInterval: duration(req, 'start-interval', stringFlag(flags, 'start-interval')),
    retries,
  } satisfies HealthcheckInstruction);
}
