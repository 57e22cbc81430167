import { describe, expect, it } from 'vitest';
import { chompHeredoc, heredocMarkersOf, mustParseHeredocMarker, parseHeredocMarker } from './heredoc.ts';

describe('heredoc markers (BuildKit TestParseHeredocHelpers)', () => {
  it('accepts the valid forms', () => {
    for (const src of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"', '3<<EOF']) {
      expect(parseHeredocMarker(src)?.name).toBe('EOF');
    }
    expect(parseHeredocMarker('<<-"EOF"')).toEqual({ name: 'EOF', chomp: true, expand: false });
    expect(parseHeredocMarker('<<E"O"F')).toEqual({ name: 'EOF', chomp: false, expand: false });
  });
  it('rejects unbalanced quotes, which must-parse reads as no heredoc', () => {
    for (const src of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) {
      expect(() => parseHeredocMarker(src)).toThrow();
      expect(mustParseHeredocMarker(src)).toBeUndefined();
    }
  });
  it('ignores what is not a heredoc', () => {
    for (const src of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<a b']) expect(parseHeredocMarker(src)).toBeUndefined();
  });
  it('finds markers in a line, not inside quotes', () => {
    const names = (line: string): string[] => heredocMarkersOf(line).map((m) => m.name);
    expect(names('RUN <<EOF <<EOF2')).toEqual(['EOF', 'EOF2']);
    expect(names('RUN 4<<EOF')).toEqual(['EOF']);
    expect(names("RUN '<<EOF'")).toEqual([]);
    expect(names('RUN "<<EOF"')).toEqual([]);
    expect(names("RUN <<'EOF")).toEqual([]);
  });
  it('chomps leading tabs on every line', () => {
    expect(chompHeredoc('\thello\n\t\tworld\n  kept\n')).toBe('hello\nworld\n  kept\n');
  });
});
