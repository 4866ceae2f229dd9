/**
 * The order of record keys in {@link Store.list}: by Unicode code point, which is the byte order
 * of their UTF-8 text. That is what SQLite (BINARY), PostgreSQL (`COLLATE "C"`) and Redis (sorted
 * set lex ranges) compare, so every adapter pages the same keys in the same order.
 *
 * JavaScript's `<` compares UTF-16 code units instead, which differs in one case: a character
 * above U+FFFF (stored as a surrogate pair, 0xD800–0xDFFF) sorts *before* U+E000–U+FFFF in
 * UTF-16, but after them by code point. At the first differing unit, a surrogate therefore wins
 * over any unit that is not one; otherwise the units compare as they are.
 *
 * @returns a negative number, 0 or a positive number, as `Array.prototype.sort` expects
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left === right) continue;
    const leftSurrogate = left >= 0xd800 && left <= 0xdfff;
    const rightSurrogate = right >= 0xd800 && right <= 0xdfff;
    if (leftSurrogate !== rightSurrogate) return leftSurrogate ? 1 : -1;
    return left - right;
  }
  return a.length - b.length;
}
