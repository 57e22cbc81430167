// Mount points from /proc/self/mountinfo (proc(5)): field 5 is the mount point, octal-escaped.
import { readFileSync } from 'node:fs';

export function parseMountInfo(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const mountPoint = fields[4];
    if (mountPoint === undefined || mountPoint === '') continue;
    out.push(unescapeOctal(mountPoint));
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of this process; [] when /proc is not mounted. */
export function readMountPoints(file = '/proc/self/mountinfo'): string[] {
  try {
    return parseMountInfo(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}
