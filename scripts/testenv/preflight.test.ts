import { expect, test } from 'vitest';
import { assertTools, missingTools } from './preflight.ts';

test('names the missing command and its package, with the fix', () => {
  const tools = { sh: 'dash', 'kiln-no-such-tool': 'kiln-pkg' };
  expect(missingTools(tools)).toEqual(['kiln-no-such-tool']);
  expect(() => assertTools(tools)).toThrow(/kiln-no-such-tool not found \(Debian packages: kiln-pkg\); run scripts\/install-deps\.sh/);
  expect(() => assertTools({ sh: 'dash' })).not.toThrow();
});
