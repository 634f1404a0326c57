// The structure of an XML document checked in one forward scan, before a lenient parser sees it.
// fast-xml-parser (under feedsmith) accepts a document cut short or with mismatched end tags and returns
// what it could read: for an OPML import that would store half of a truncated file and say nothing.

export interface XmlShapeLimits {
  /** Elements nested deeper than this are refused (the parsers behind feedsmith recurse per level). */
  maxDepth: number;
  /** Elements with this name (compared in lower case) are counted; more than `maxCounted` is refused. */
  counted: string;
  maxCounted: number;
  /** Attributes one tag may have; the XML parser behind feedsmith slows on tags with many thousands. */
  maxAttributes: number;
}

export type XmlShape =
  | { ok: true; root: string; counted: number }
  | { ok: false; reason: string; line: number; column: number };

/**
 * Checks that `text` is one well-nested element (with its comments, processing instructions, CDATA and a
 * DOCTYPE before it): every start tag closed by its own end tag, attributes quoted and free of `<`, nothing but
 * white space outside the root. Entity references are not checked. Linear: every character is looked at a
 * bounded number of times (indexOf from the current position, never backwards). The problem comes back with
 * its line and column.
 */
export function checkXmlShape(text: string, limits: XmlShapeLimits): XmlShape {
  const counted = limits.counted.toLowerCase();
  /** Open elements: name and where the start tag began. */
  const open: { name: string; at: number }[] = [];
  let root: string | null = null;
  let count = 0;
  let i = 0;
  const fail = (at: number, reason: string): XmlShape => ({ ok: false, reason, ...lineAndColumn(text, at) });

  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? text.length : lt;
    if (open.length === 0) {
      const stray = firstNonSpace(text, i, textEnd);
      if (stray !== -1) return fail(stray, root === null ? 'text before the root element' : 'text after the root element');
    }
    if (lt === -1) break;
    i = lt;

    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) return fail(i, 'a comment that is never closed (no -->)');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      if (open.length === 0) return fail(i, 'a CDATA section outside the root element');
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) return fail(i, 'a CDATA section that is never closed (no ]]>)');
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) return fail(i, 'a processing instruction that is never closed (no ?>)');
      i = end + 2;
    } else if (text.startsWith('<!', i)) {
      if (root !== null || open.length > 0 || !text.startsWith('DOCTYPE', i + 2)) return fail(i, 'a markup declaration where an element was expected');
      const end = doctypeEnd(text, i + 9);
      if (end === -1) return fail(i, 'a DOCTYPE that is never closed');
      i = end + 1;
    } else if (text.startsWith('</', i)) {
      const nameEnd = nameEndAt(text, i + 2);
      const name = text.slice(i + 2, nameEnd);
      const close = skipSpace(text, nameEnd);
      if (name === '' || text[close] !== '>') return fail(i, 'a malformed end tag');
      const top = open.pop();
      if (top === undefined) return fail(i, `an end tag </${shortName(name)}> with no element open`);
      if (top.name !== name) {
        const opened = lineAndColumn(text, top.at);
        return fail(i, `</${shortName(name)}> where </${shortName(top.name)}> (opened at line ${opened.line}) was expected`);
      }
      i = close + 1;
    } else {
      const start = i;
      const nameEnd = nameEndAt(text, i + 1);
      const name = text.slice(i + 1, nameEnd);
      if (name === '') return fail(i, 'a "<" that starts no tag (write &lt; for the character)');
      if (open.length === 0 && root !== null) return fail(i, 'a second root element');
      const tag = readAttributes(text, nameEnd, limits.maxAttributes);
      if (!tag.ok) return fail(tag.at, tag.reason);
      root ??= name;
      if (name.toLowerCase() === counted && ++count > limits.maxCounted) {
        return fail(start, `more than ${limits.maxCounted.toLocaleString('en-US')} <${counted}> elements`);
      }
      if (!tag.selfClosing) {
        open.push({ name, at: start });
        if (open.length > limits.maxDepth) return fail(start, `elements nested more than ${limits.maxDepth} levels deep`);
      }
      i = tag.end;
    }
  }
  const last = open.at(-1);
  if (last !== undefined) {
    const opened = lineAndColumn(text, last.at);
    return fail(text.length, `the document ends inside <${shortName(last.name)}> (opened at line ${opened.line}): is the file cut short?`);
  }
  if (root === null) return fail(text.length, 'no XML element found');
  return { ok: true, root, counted: count };
}

type TagEnd = { ok: true; end: number; selfClosing: boolean } | { ok: false; at: number; reason: string };

/** Reads the attributes of a start tag from `i` (just after its name) to its `>`. */
function readAttributes(text: string, from: number, maxAttributes: number): TagEnd {
  let i = from;
  for (let count = 0; ; count++) {
    const afterSpace = skipSpace(text, i);
    const c = text[afterSpace];
    if (c === undefined) return { ok: false, at: from, reason: 'the document ends inside a tag' };
    if (c === '>') return { ok: true, end: afterSpace + 1, selfClosing: false };
    if (c === '/') {
      if (text[afterSpace + 1] !== '>') return { ok: false, at: afterSpace, reason: 'a "/" in a tag not followed by ">"' };
      return { ok: true, end: afterSpace + 2, selfClosing: true };
    }
    if (afterSpace === i) return { ok: false, at: i, reason: 'attributes must be separated by white space' };
    if (count === maxAttributes) return { ok: false, at: afterSpace, reason: `a tag with more than ${maxAttributes} attributes` };
    const nameEnd = nameEndAt(text, afterSpace);
    if (nameEnd === afterSpace) return { ok: false, at: afterSpace, reason: `an unexpected "${c}" in a tag` };
    const eq = skipSpace(text, nameEnd);
    if (text[eq] !== '=') return { ok: false, at: afterSpace, reason: `attribute ${shortName(text.slice(afterSpace, nameEnd))} has no value (name="value")` };
    const quoteAt = skipSpace(text, eq + 1);
    const quote = text[quoteAt];
    if (quote !== '"' && quote !== "'") return { ok: false, at: quoteAt, reason: `the value of attribute ${shortName(text.slice(afterSpace, nameEnd))} is not in quotes` };
    const close = text.indexOf(quote, quoteAt + 1);
    if (close === -1) return { ok: false, at: quoteAt, reason: 'an attribute value whose quote is never closed' };
    // Searched within the value only: a search to the next "<" would rescan the rest of a long tag per attribute.
    const lt = text.slice(quoteAt + 1, close).indexOf('<');
    if (lt !== -1) return { ok: false, at: quoteAt + 1 + lt, reason: 'a "<" inside an attribute value (write &lt;)' };
    i = close + 1;
  }
}

/** The ">" that ends a DOCTYPE whose name starts at `from`: outside quotes and the internal subset's brackets. */
function doctypeEnd(text: string, from: number): number {
  let quote: string | null = null;
  let inSubset = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') inSubset = true;
    else if (c === ']') inSubset = false;
    else if (c === '>' && !inSubset) return i;
  }
  return -1;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text[i])) i++;
  return i;
}

function firstNonSpace(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (!isSpace(text[i])) return i;
  return -1;
}

/** Where an element name starting at `i` ends: at white space, "/", ">", or a character no name holds. */
function nameEndAt(text: string, i: number): number {
  while (i < text.length && !isSpace(text[i]) && !'/>=<"\'!?'.includes(text[i]!)) i++;
  return i;
}

/** A name from the document for a message: cut, and control characters (terminal escapes) shown as "?". */
function shortName(name: string): string {
  const cut = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** 1-based line and column of offset `at`, counted once, only when a problem is reported. */
function lineAndColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < at; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: at - lineStart + 1 };
}
