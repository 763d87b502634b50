/** Value encoding and argument splitting as FreeSWITCH does them (protocol spec §3.2, §4.3). */

const SAFE = /[A-Za-z0-9\-_.!~*'()]/;

/** switch_url_encode: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` as %XX of its UTF-8 bytes. */
export function urlEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else
      for (const b of Buffer.from(ch, 'utf8'))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * switch_separate_string: runs of the delimiter collapse, leading/trailing ones drop, single
 * quotes group, backslash escapes the next character; a leading `^^<c>` makes `<c>` the delimiter.
 */
export function splitArgs(input: string, delimiter = ' '): string[] {
  let text = input;
  let delim = delimiter;
  if (text.startsWith('^^') && text.length >= 3) {
    delim = text[2]!;
    text = text.slice(3);
  }
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i]!;
      inToken = true;
    } else if (c === "'") {
      quoted = !quoted;
      inToken = true;
    } else if (c === delim && !quoted) {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}
