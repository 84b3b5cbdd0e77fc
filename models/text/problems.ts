// What a reader could not use. Readers throw BiudError when nothing in a file is usable (no
// header, not a gzip stream); a bad entry inside a good file is skipped and listed here instead,
// so one broken row or archive member never loses the rest.

export interface ReadProblem {
  /** The file (or archive) name the caller gave. */
  source: string;
  /** Where in it: "line 12", "entry ecgen-radiology/7.xml", "byte 1536". */
  where: string;
  message: string;
}

export function formatProblem(p: ReadProblem): string {
  return `${p.source}, ${p.where}: ${p.message}`;
}

/** One line per problem, at most `max` of them, then a count of the rest. */
export function summarizeProblems(problems: readonly ReadProblem[], max = 10): string {
  const shown = problems.slice(0, max).map(formatProblem);
  if (problems.length > max) shown.push(`... and ${problems.length - max} more`);
  return shown.join('\n');
}

/** Bytes -> text. UTF-8 with replacement characters (never throws); a leading BOM is dropped. */
export function decodeText(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
