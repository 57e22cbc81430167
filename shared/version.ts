// The version stamped in by scripts/build.ts (esbuild `define`, esbuild's ESBUILD_VERSION pattern).
// Under tsx or vitest nothing is defined, so the version reads "dev".
declare const KILN_VERSION: string | undefined;

export const kilnVersion: string = typeof KILN_VERSION === 'string' ? KILN_VERSION : 'dev';
