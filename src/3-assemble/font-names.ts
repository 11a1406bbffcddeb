// The names a subset font carries into the PDF. The static @fontsource files keep the name table of the
// variable font's first master (“NotoSerifSCExtraLight-Regular”, “NotoSansSCThin-Bold”), and Chromium
// writes the PostScript name into the PDF as the font's name, which makes a prepress operator query the
// weights. So the subset's family, style, full and PostScript names are written anew.
//
// Only the `name` table is replaced; every other table is copied byte for byte. fontkit reads but does
// not write fonts, harfbuzz's subsetter cannot set names, and opentype.js or fonteditor-core would
// encode the whole font again (and drop the tables they do not know, such as vmtx for vertical text).

export interface FaceNames {
  /** The family, as the type foundry names it: “Noto Serif SC”. */
  family: string;
  weight: number;
  style: 'normal' | 'italic';
}

const WEIGHT_NAMES: Record<number, string> = {
  100: 'Thin', 200: 'ExtraLight', 300: 'Light', 400: 'Regular', 500: 'Medium', 600: 'SemiBold', 700: 'Bold', 800: 'ExtraBold', 900: 'Black',
};

/** Name IDs this module writes: family, subfamily, unique id, full name, PostScript name, typographic family and subfamily. */
const REPLACED = new Set([1, 2, 3, 4, 6, 16, 17]);

/** The PostScript name of a face: “NotoSerifSC-Bold”. */
export function postScriptName(names: FaceNames): string {
  return `${names.family.replace(/[^\x21-\x7E]|[[\](){}<>/%]/g, '')}-${styleName(names)}`;
}

function styleName({weight, style}: FaceNames): string {
  const weightName = WEIGHT_NAMES[Math.round(weight / 100) * 100] ?? 'Regular';
  if (style === 'italic') return weightName === 'Regular' ? 'Italic' : `${weightName}Italic`;
  return weightName;
}

/** `font` (TrueType or OpenType data) with its name table saying `names`. */
export function renameFont(font: Uint8Array, names: FaceNames): Uint8Array {
  const source = Buffer.from(font.buffer, font.byteOffset, font.byteLength);
  const tables = readTableDirectory(source);
  const name = tables.find((table) => table.tag === 'name');
  const kept = name ? readNameRecords(source.subarray(name.offset, name.offset + name.length)).filter((record) => !REPLACED.has(record.nameId)) : [];
  const style = styleName(names);
  // Regular, Bold, Italic and Bold Italic are the styles of the legacy family (IDs 1 and 2); any other
  // weight is a family of its own there, and the typographic family (IDs 16 and 17) groups them.
  const ribbi = /^(Regular|Bold|Italic|BoldItalic)$/.test(style);
  const legacyStyle = ribbi ? style.replace('BoldItalic', 'Bold Italic') : style.endsWith('Italic') ? 'Italic' : 'Regular';
  const legacyFamily = ribbi ? names.family : `${names.family} ${style.replace(/Italic$/, '')}`;
  const full = `${names.family} ${style === 'Regular' ? 'Regular' : style.replace(/(?<=.)Italic$/, ' Italic')}`;
  const written: [number, string][] = [[1, legacyFamily], [2, legacyStyle], [3, postScriptName(names)], [4, full], [6, postScriptName(names)]];
  if (!ribbi) written.push([16, names.family], [17, style.replace(/(?<=.)Italic$/, ' Italic')]);
  const records = [
    ...kept,
    ...written.map(([nameId, value]) => ({platformId: 3, encodingId: 1, languageId: 0x409, nameId, data: utf16be(value)})),
  ];
  const replaced = tables.filter((table) => table.tag !== 'name').map((table) => ({tag: table.tag, data: source.subarray(table.offset, table.offset + table.length)}));
  replaced.push({tag: 'name', data: writeNameTable(records)});
  return writeFont(source.readUInt32BE(0), replaced);
}

interface TableRecord {
  tag: string;
  offset: number;
  length: number;
}

function readTableDirectory(font: Buffer): TableRecord[] {
  const count = font.readUInt16BE(4);
  return Array.from({length: count}, (_, index) => {
    const at = 12 + index * 16;
    return {tag: font.toString('latin1', at, at + 4), offset: font.readUInt32BE(at + 8), length: font.readUInt32BE(at + 12)};
  });
}

interface NameRecord {
  platformId: number;
  encodingId: number;
  languageId: number;
  nameId: number;
  data: Buffer;
}

function readNameRecords(table: Buffer): NameRecord[] {
  const count = table.readUInt16BE(2);
  const strings = table.readUInt16BE(4);
  return Array.from({length: count}, (_, index) => {
    const at = 6 + index * 12;
    const length = table.readUInt16BE(at + 8);
    const offset = strings + table.readUInt16BE(at + 10);
    return {
      platformId: table.readUInt16BE(at),
      encodingId: table.readUInt16BE(at + 2),
      languageId: table.readUInt16BE(at + 4),
      nameId: table.readUInt16BE(at + 6),
      data: table.subarray(offset, offset + length),
    };
  });
}

function writeNameTable(records: NameRecord[]): Buffer {
  const sorted = [...records].sort((a, b) => a.platformId - b.platformId || a.encodingId - b.encodingId || a.languageId - b.languageId || a.nameId - b.nameId);
  const header = Buffer.alloc(6 + sorted.length * 12);
  header.writeUInt16BE(0, 0);
  header.writeUInt16BE(sorted.length, 2);
  header.writeUInt16BE(header.length, 4);
  let offset = 0;
  sorted.forEach((record, index) => {
    const at = 6 + index * 12;
    header.writeUInt16BE(record.platformId, at);
    header.writeUInt16BE(record.encodingId, at + 2);
    header.writeUInt16BE(record.languageId, at + 4);
    header.writeUInt16BE(record.nameId, at + 6);
    header.writeUInt16BE(record.data.length, at + 8);
    header.writeUInt16BE(offset, at + 10);
    offset += record.data.length;
  });
  return Buffer.concat([header, ...sorted.map((record) => record.data)]);
}

function utf16be(value: string): Buffer {
  return Buffer.from(value, 'utf16le').swap16();
}

/** An sfnt of these tables, in tag order, each on a four-byte boundary, with every checksum right. */
function writeFont(version: number, tables: {tag: string; data: Buffer}[]): Uint8Array {
  tables.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const entrySelector = Math.floor(Math.log2(tables.length));
  const searchRange = 2 ** entrySelector * 16;
  const header = Buffer.alloc(12 + tables.length * 16);
  header.writeUInt32BE(version, 0);
  header.writeUInt16BE(tables.length, 4);
  header.writeUInt16BE(searchRange, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(tables.length * 16 - searchRange, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  let headOffset = -1;
  tables.forEach((table, index) => {
    const data = Buffer.from(table.data);
    if (table.tag === 'head') {
      data.writeUInt32BE(0, 8); // checkSumAdjustment, set once the whole font is known
      headOffset = offset;
    }
    const at = 12 + index * 16;
    header.write(table.tag, at, 'latin1');
    header.writeUInt32BE(checksum(data), at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(data.length, at + 12);
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  const font = Buffer.concat(parts);
  if (headOffset >= 0) font.writeUInt32BE((0xB1B0AFBA - checksum(font)) >>> 0, headOffset + 8);
  return new Uint8Array(font.buffer, font.byteOffset, font.byteLength);
}

function checksum(data: Buffer): number {
  let sum = 0;
  const whole = data.length & ~3;
  for (let at = 0; at < whole; at += 4) sum = (sum + data.readUInt32BE(at)) >>> 0;
  if (whole < data.length) {
    const tail = Buffer.alloc(4);
    data.copy(tail, 0, whole);
    sum = (sum + tail.readUInt32BE(0)) >>> 0;
  }
  return sum;
}
