// The figures of the 版权页 that come from the book itself: 开本 (the press sheet the trim size is cut
// from, and the fold), 字数 and, once the pages are counted, 印张.

/** Press sheets in use in Chinese book printing (全张纸), millimetres. */
const SHEETS: [number, number][] = [[787, 1092], [850, 1168], [880, 1230], [889, 1194], [690, 960], [710, 1000], [720, 1000], [635, 965], [640, 960]];
/** Folds: a sheet folded into 8, 16, 32 or 64 leaves. */
export const SHEET_FRACTIONS = [8, 16, 32, 64];
/** What the three-knife trim takes off a leaf, at least and at most, in millimetres. */
const TRIM_ALLOWANCE = {height: {min: 5, max: 20}, width: {min: 3, max: 20}};

export interface PaperFormat {
  /** “710毫米×1000毫米　1/16”, or the trim size when no standard sheet fits. */
  label: string;
  /** Leaves per sheet (16 for 1/16): 印张 = pages ÷ this. Undefined without a standard sheet. */
  fraction?: number;
}

export function paperFormat(trim: {width: number; height: number}): PaperFormat {
  let best: {sheet: [number, number]; fraction: number; waste: number} | undefined;
  for (const sheet of SHEETS) {
    for (const fraction of SHEET_FRACTIONS) {
      const [long, short] = leaf(sheet, fraction);
      const [height, width] = [long - trim.height, short - trim.width];
      const fits = (value: number, allowance: {min: number; max: number}) => value >= allowance.min && value <= allowance.max;
      if (!fits(height, TRIM_ALLOWANCE.height) || !fits(width, TRIM_ALLOWANCE.width)) continue;
      const total = height + width;
      if (!best || total < best.waste) best = {sheet, fraction, waste: total};
    }
  }
  if (!best) return {label: `${trim.width}毫米×${trim.height}毫米`};
  return {label: `${best.sheet[0]}毫米×${best.sheet[1]}毫米\u30001/${best.fraction}`, fraction: best.fraction};
}

/** The untrimmed leaf of a sheet folded `fraction` times over, as [long side, short side]. */
function leaf(sheet: [number, number], fraction: number): [number, number] {
  let [long, short] = [Math.max(...sheet), Math.min(...sheet)];
  for (let leaves = 1; leaves < fraction; leaves *= 2) [long, short] = [Math.max(long / 2, short), Math.min(long / 2, short)];
  return [long, short];
}

/** 字数 as printed on a 版权页: characters of the text, in thousands, rounded up (“5千字”). */
export function wordCountLabel(text: string): string {
  const characters = [...text.replace(/\s/g, '')].length;
  return `${Math.ceil(characters / 1000)}千字`;
}

/** 印张: printed sheets, pages ÷ leaves per sheet, to two decimals (“12.25”). */
export function printSheets(pages: number, fraction: number): string {
  return String(Math.round((pages / fraction) * 100) / 100);
}

/**
 * Where a case first appeared, as GB/T 15834 writes it: the publication in 书名号 and the date in Chinese
 * (原载《浙江日报》2025年10月13日). A source already written with 书名号 is kept as it is.
 */
export function sourceLine(source: string, date?: string): string {
  const publication = /[《〈]/.test(source) ? source : `《${source}》`;
  return `原载${publication}${date ? chineseDate(date) : ''}`;
}

/** 2025-10-13 → 2025年10月13日 (also 2025-10 and 2025). */
export function chineseDate(date: string): string {
  const [year, month, day] = date.split('-');
  return `${year}年${month ? `${Number(month)}月` : ''}${day ? `${Number(day)}日` : ''}`;
}
