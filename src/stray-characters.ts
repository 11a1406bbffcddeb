// Characters that have no place in a book's text and that text pasted from the web, a terminal or
// another file brings along: control characters (all but tab, line feed and carriage return), a
// byte-order mark inside the text (where two files were joined), noncharacters. None of them prints,
// and none may stand in the EPUB's XHTML, so they are removed, each reported where it was.
//
// U+FFFD (�) is kept, since it prints, and reported: an earlier conversion lost a character there.
// The other invisible characters (zero-width space, joiners, bidi marks, variation selectors, soft
// hyphen) are text: they stay, and layout handles them (src/3-assemble/fonts.ts never looks them up).
import type {VFile} from 'vfile';
import {characterPoint, reportWarning} from './messages.js';

const STRAY = /(?![\t\n\r])[\p{Cc}\uFEFF\p{Noncharacter_Code_Point}]/u;
const STRAY_OR_LOST = new RegExp(`${STRAY.source}|\\uFFFD`, 'gu');

/** Reported in one file at most: a file full of them gets these and a count. */
const MAX_REPORTED = 10;

export function hasStrayCharacters(value: string): boolean {
  return STRAY.test(value);
}

export function withoutStrayCharacters(value: string): string {
  return value.replace(new RegExp(STRAY.source, 'gu'), '');
}

/** Reports each stray character and each U+FFFD of `text`, which starts at `offset` in `file.value`. */
export function reportStrayCharacters(file: VFile, text: string, offset = 0): void {
  const source = String(file.value ?? '');
  let count = 0;
  for (const match of text.matchAll(STRAY_OR_LOST)) {
    count++;
    if (count > MAX_REPORTED) continue;
    const character = match[0];
    const at = characterPoint(source, offset + match.index);
    const code = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (character === '\uFFFD') {
      reportWarning(file, `“\uFFFD” (U+FFFD) stands where an earlier conversion lost a character`, at, 'replacement-character',
        'Compare with the original text and type the character that belongs here.');
    } else if (character === '\uFEFF') {
      reportWarning(file, 'a byte-order mark (U+FEFF) inside the text is removed', at, 'stray-character',
        'It is left where two files were joined; nothing visible is lost.');
    } else {
      reportWarning(file, `the invisible control character ${code} is removed`, at, 'stray-character',
        'It came with pasted text and would not print; nothing visible is lost.');
    }
  }
  if (count > MAX_REPORTED) {
    reportWarning(file, `${count - MAX_REPORTED} more such characters in this file`, characterPoint(source, offset + text.length), 'stray-character');
  }
}
