// vitest globalSetup for the integration and e2e projects: start the test environment once
// (or reuse a live one named by KILN_TESTENV, or the one `npm run testenv -- up` started), pass
// its JSON path to tests with project.provide('kilnTestEnv') and KILN_TESTENV, stop it at the end.
//
// Both projects run this file in the same vitest process, one after the other: the first starts
// the environment and sets process.env.KILN_TESTENV; the second finds it live and reuses it.
import type { TestProject } from 'vitest/node';
import { startTestEnv } from '../../scripts/testenv/env.ts';
import { findLiveEnv } from '../../scripts/testenv/state.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the test environment's JSON (see test/helpers/testenv.ts). */
    kilnTestEnv: string;
  }
}

function log(line: string): void {
  process.stderr.write(`[testenv] ${line}\n`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const live = await findLiveEnv();
  if (live) {
    process.env['KILN_TESTENV'] = live;
    project.provide('kilnTestEnv', live);
    return undefined;
  }
  if (process.env['KILN_TESTENV']) log(`KILN_TESTENV=${process.env['KILN_TESTENV']} is not live: starting a new environment`);
  const running = await startTestEnv({ log });
  process.env['KILN_TESTENV'] = running.file;
  project.provide('kilnTestEnv', running.file);
  return async () => {
    await running.stop();
    if (process.env['KILN_TESTENV'] === running.file) delete process.env['KILN_TESTENV'];
  };
}
