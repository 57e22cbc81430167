// Go's time.ParseDuration, which kaniko's --cache-ttl uses: "336h", "1h30m", "90s", "1.5h", "0"
// (the parser HEALTHCHECK and RUN flags use, in milliseconds).
import { parseGoDuration as parseGoDurationNs } from '../dockerfile/index.ts';

/** Milliseconds for a Go duration string, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  try {
    return parseGoDurationNs(text) / 1e6;
  } catch {
    return undefined;
  }
}

/** Go's strconv.ParseBool, which pflag uses for `--flag=value`. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}
