/** A feed body as text, with the encoding it was read in and, when we had to guess, why. */
export interface DecodedBody {
  text: string;
  /** The WHATWG name of the encoding used (`utf-8`, `windows-1252`, `utf-16le` …). */
  charset: string;
  /** Set when a declared charset was unknown and a fallback was used. */
  note: string | null;
}

/** How far into the body the XML declaration is looked for. */
const XML_DECLARATION_WINDOW = 1024;

/**
 * Decodes a feed body. The encoding comes from, in order: a byte-order mark (UTF-8, UTF-16LE/BE), the
 * Content-Type `charset=`, the XML declaration's `encoding="…"`, else UTF-8. The BOM goes first, as in the
 * WHATWG Encoding standard's decode: a BOM is hard to produce by accident, a wrong charset in a server's
 * configuration is common. A BOM is stripped. A charset label this runtime does not know is skipped (the
 * next source decides) and reported in `note`; bytes invalid in the chosen encoding become U+FFFD.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | null): DecodedBody {
  const notes: string[] = [];
  const bom = sniffBom(bytes);
  if (bom) return { text: decode(bytes.subarray(bom.length), bom.charset), charset: bom.charset, note: null };

  const declared = contentType === null ? null : charsetParameter(contentType);
  if (declared !== null) {
    const charset = encodingFor(declared);
    if (charset !== null) return { text: decode(bytes, charset), charset, note: null };
    notes.push(`unknown charset "${declared}" in Content-Type`);
  }

  const xml = xmlDeclaredEncoding(bytes);
  if (xml !== null) {
    const charset = xml.utf16 ?? encodingFor(xml.label);
    if (charset !== null && (xml.utf16 !== null || !charset.startsWith('utf-16'))) {
      return { text: decode(bytes, charset), charset, note: notes.length ? `${notes.join('; ')}; used the XML declaration` : null };
    }
    // An 8-bit document that says it is UTF-16 is mistaken about it: its declaration read as ASCII.
    if (xml.label !== '') notes.push(`unusable encoding "${xml.label}" in the XML declaration`);
  }

  return { text: decode(bytes, 'utf-8'), charset: 'utf-8', note: notes.length ? `${notes.join('; ')}; decoded as UTF-8` : null };
}

function decode(bytes: Uint8Array, charset: string): string {
  return new TextDecoder(charset, { fatal: false, ignoreBOM: true }).decode(bytes);
}

/** The WHATWG encoding a label names (`latin1` → `windows-1252`), or null when this runtime has none. */
export function encodingFor(label: string): string | null {
  if (label.length === 0 || label.length > 64) return null;
  try {
    const { encoding } = new TextDecoder(label);
    return encoding === 'replacement' ? null : encoding;
  } catch {
    return null;
  }
}

function sniffBom(bytes: Uint8Array): { charset: string; length: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  return null;
}

/**
 * The `charset` parameter of a Content-Type value (`text/xml; charset="ISO-8859-1"` → `ISO-8859-1`), or null.
 * Split on `;` and `=`, no regex; only the first 1,024 characters are looked at.
 */
export function charsetParameter(contentType: string): string | null {
  const params = contentType.slice(0, 1024).split(';').slice(1);
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).trim();
    return value === '' ? null : value;
  }
  return null;
}

/** The media type of a Content-Type value, lower-cased, without parameters (`text/html`), or null. */
export function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const essence = contentType.slice(0, 1024).split(';')[0]!.trim().toLowerCase();
  return essence === '' || essence.length > 127 ? null : essence;
}

const ENCODING_ATTRIBUTE = /\sencoding\s*=\s*(?:"([^"]{0,64})"|'([^']{0,64})')/;

/**
 * The encoding an XML declaration names. A declaration in UTF-16 without a BOM shows as `<\0?\0` or
 * `\0<\0?`: that pattern alone settles the byte order (`utf16`). Only the first kilobyte is read, and the
 * pattern's quantifiers are bounded, so this is linear whatever the body holds.
 */
export function xmlDeclaredEncoding(bytes: Uint8Array): { label: string; utf16: string | null } | null {
  let utf16: string | null = null;
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) utf16 = 'utf-16le';
  else if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) utf16 = 'utf-16be';
  const head = new TextDecoder(utf16 ?? 'windows-1252').decode(bytes.subarray(0, XML_DECLARATION_WINDOW));
  if (!head.startsWith('<?xml')) return null;
  const end = head.indexOf('?>');
  if (end === -1) return utf16 ? { label: '', utf16 } : null;
  const match = ENCODING_ATTRIBUTE.exec(head.slice(0, end));
  const label = (match?.[1] ?? match?.[2] ?? '').trim();
  return label === '' && utf16 === null ? null : { label, utf16 };
}
