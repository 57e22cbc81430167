// The closing summary: each step with its time, layer size and cache hit (DESIGN §8).
import type { Logger } from '../shared/log.ts';

export interface StepSummary {
  instruction: string;
  ms: number;
  /** Compressed size of the layer the step made; undefined when it made none. */
  layerSize?: number | undefined;
  cacheHit: boolean;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function summaryLines(stages: readonly { name: string; steps: readonly StepSummary[] }[], totalMs: number): string[] {
  const lines: string[] = ['Build summary:'];
  for (const st of stages) {
    lines.push(`  ${st.name}`);
    for (const s of st.steps) {
      const size = s.layerSize === undefined ? 'no layer' : formatBytes(s.layerSize);
      const cache = s.cacheHit ? ', cached' : '';
      const text = s.instruction.length > 70 ? `${s.instruction.slice(0, 67)}...` : s.instruction;
      lines.push(`    ${(s.ms / 1000).toFixed(1).padStart(6)}s  ${size.padStart(10)}${cache}  ${text}`);
    }
  }
  lines.push(`  total ${(totalMs / 1000).toFixed(1)}s`);
  return lines;
}

export function logSummary(logger: Logger, stages: readonly { name: string; steps: readonly StepSummary[] }[], totalMs: number): void {
  for (const line of summaryLines(stages, totalMs)) logger.info(line);
}
