// A small non-validating XML parser: elements, attributes, text, CDATA, comments, processing
// instructions and a DOCTYPE (skipped), the five predefined entities and numeric character
// references. Enough for report XML; no namespaces, no external entities (so no way for a file
// to make the parser fetch or expand anything). Errors are BiudErrors naming source and line.
import { BiudError } from '../../engine/errors.ts';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** 1-based line of the start tag. */
  line: number;
}

export type XmlNode = XmlElement | string;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][\w:.\-]*/y;

function decodeEntities(s: string, fail: (msg: string) => never): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|\w+);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!(cp > 0 && cp <= 0x10ffff)) fail(`bad character reference &${e};`);
      return String.fromCodePoint(cp);
    }
    if (!(e in ENTITIES)) fail(`unknown entity &${e};`);
    return ENTITIES[e];
  });
}

export function parseXml(text: string, source: string): XmlElement {
  let pos = 0;
  // Line numbers counted incrementally: positions asked for only grow, except in errors.
  let seenPos = 0, seenLine = 1;
  const lineAt = (p: number): number => {
    if (p < seenPos) { seenPos = 0; seenLine = 1; }
    for (; seenPos < p && seenPos < text.length; seenPos++) if (text.charCodeAt(seenPos) === 10) seenLine++;
    return seenLine;
  };
  const fail = (msg: string, at = pos): never => {
    throw new BiudError(`${source}, line ${lineAt(at)}: malformed XML: ${msg}`);
  };
  const skipPast = (end: string, what: string): void => {
    const i = text.indexOf(end, pos);
    if (i < 0) fail(`unterminated ${what}`);
    pos = i + end.length;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) fail(`expected a name, found ${JSON.stringify(text.slice(pos, pos + 10))}`);
    pos += m![0].length;
    return m![0];
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const readAttrs = (): Record<string, string> => {
    const attrs: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (pos >= text.length) fail('unterminated start tag');
      if (text[pos] === '>' || text.startsWith('/>', pos)) return attrs;
      const name = readName();
      skipSpace();
      if (text[pos] !== '=') fail(`attribute ${name} has no value`);
      pos++;
      skipSpace();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`attribute ${name}: value not quoted`);
      const end = text.indexOf(q, pos + 1);
      if (end < 0) fail(`attribute ${name}: unterminated value`);
      attrs[name] = decodeEntities(text.slice(pos + 1, end), (m) => fail(m));
      pos = end + 1;
    }
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<?', pos)) skipPast('?>', 'processing instruction');
      else if (text.startsWith('<!--', pos)) skipPast('-->', 'comment');
      else if (text.startsWith('<!DOCTYPE', pos)) skipDoctype();
      else return;
    }
  };
  const skipDoctype = (): void => {
    const bracket = text.indexOf('[', pos), close = text.indexOf('>', pos);
    if (close < 0) fail('unterminated DOCTYPE');
    if (bracket >= 0 && bracket < close) { pos = bracket; skipPast(']', 'DOCTYPE subset'); skipPast('>', 'DOCTYPE'); }
    else pos = close + 1;
  };

  // One loop with an explicit stack: deeply nested input cannot overflow the call stack.
  const parseRoot = (): XmlElement => {
    const stack: XmlElement[] = [];
    let root: XmlElement | undefined;
    while (!root || stack.length) {
      const top = stack[stack.length - 1];
      if (pos >= text.length) fail(`<${top?.name}> (line ${top?.line}) is never closed`);
      if (top && text.startsWith('<!--', pos)) skipPast('-->', 'comment');
      else if (top && text.startsWith('<?', pos)) skipPast('?>', 'processing instruction');
      else if (top && text.startsWith('<![CDATA[', pos)) {
        const start = pos + 9;
        skipPast(']]>', 'CDATA section');
        top.children.push(text.slice(start, pos - 3));
      } else if (top && text.startsWith('</', pos)) closeTag(stack);
      else if (text[pos] === '<') openTag(stack, (el) => (root ??= el));
      else if (top) {
        const next = text.indexOf('<', pos);
        const end = next < 0 ? text.length : next;
        top.children.push(decodeEntities(text.slice(pos, end), (m) => fail(m)));
        pos = end;
      } else fail('expected a tag');
    }
    return root;
  };
  const openTag = (stack: XmlElement[], first: (el: XmlElement) => void): void => {
    const open = pos++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], line: lineAt(open) };
    el.attrs = readAttrs();
    stack[stack.length - 1]?.children.push(el);
    first(el);
    if (text.startsWith('/>', pos)) pos += 2;
    else { pos++; stack.push(el); }
  };
  const closeTag = (stack: XmlElement[]): void => {
    const open = pos;
    pos += 2;
    const name = readName();
    skipSpace();
    if (text[pos] !== '>') fail(`bad end tag </${name}`);
    pos++;
    const top = stack.pop()!;
    if (top.name !== name) fail(`</${name}> closes <${top.name}> (line ${top.line})`, open);
  };

  skipMisc();
  if (pos >= text.length) fail('no root element');
  const root = parseRoot();
  skipMisc();
  if (pos < text.length) fail('content after the root element');
  return root;
}

/** Concatenated text of an element and its descendants, verbatim. */
export function textContent(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textContent(c))).join('');
}

export function children(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

/** Every descendant element, depth first. */
export function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [...children(el)].reverse();
  while (stack.length) {
    const e = stack.pop()!;
    out.push(e);
    stack.push(...children(e).reverse());
  }
  return out;
}
