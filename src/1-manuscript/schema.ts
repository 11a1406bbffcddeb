// What editors may write in book.yaml and in a chapter's frontmatter. Objects are strict, so a typo
// such as `titel:` is reported instead of silently ignored.
import {z} from 'zod';

const text = z.string({error: 'must be text'}).trim().min(1, {error: 'must not be empty'});
/**
 * Text that is printed, in Unicode's composed form (NFC): an accent typed or pasted as a separate mark
 * (macOS, copies from PDFs) would print beside its letter. File paths are left as they are.
 */
const prose = text.transform((value) => value.normalize('NFC'));
const names = z.array(prose, {error: 'must be a list, one name per line starting with “- ”'}).min(1, {error: 'must list at least one name'});
const fileList = z.array(text, {error: 'must be a list of file paths, one per line starting with “- ”'});

const date = z
  .union([z.string(), z.number()], {error: 'must be a date such as 2025-10-13'})
  .transform(String)
  .pipe(z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, {error: 'must be a date such as 2025-10-13, 2025-10 or 2025'}));

/** A length in CSS millimetres. */
export type Millimetres = number;

const unitInMm: Record<string, number> = {mm: 1, cm: 10, in: 25.4, pt: 25.4 / 72};

function parseLength(value: string, unit: string): number {
  return Number(value) * unitInMm[unit]!;
}

/** Trim sizes by the names Chinese printers and editors use (millimetres, width × height). */
export const NAMED_TRIMS: Record<string, {width: number; height: number}> = {
  A5: {width: 148, height: 210},
  A4: {width: 210, height: 297},
  B5: {width: 176, height: 250},
  '16开': {width: 185, height: 260},
  '大16开': {width: 210, height: 285},
  '32开': {width: 130, height: 184},
  '大32开': {width: 140, height: 203},
};

/** What a book of text can be: smaller or larger than these is a typing error, not a book. */
const TRIM_LIMITS = {width: [90, 300], height: [120, 420]} as const;

const trim = z
  .string({error: 'must be a size such as 170mm×240mm or A5'})
  .transform((value, context) => {
    const named = NAMED_TRIMS[value.trim().toUpperCase()];
    const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*[×xX*]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$/.exec(value);
    if (!named && !match) {
      context.addIssue({code: 'custom', message: `“${value}” is not a size such as 170mm×240mm (width×height) or one of ${Object.keys(NAMED_TRIMS).join(', ')}`});
      return z.NEVER;
    }
    const size = named ?? {width: parseLength(match![1]!, match![2] ?? match![4]!), height: parseLength(match![3]!, match![4]!)};
    const [minWidth, maxWidth] = TRIM_LIMITS.width;
    const [minHeight, maxHeight] = TRIM_LIMITS.height;
    if (size.width < minWidth || size.width > maxWidth || size.height < minHeight || size.height > maxHeight) {
      context.addIssue({code: 'custom', message: `${value} is not a book size: a page must be ${minWidth}–${maxWidth} mm wide and ${minHeight}–${maxHeight} mm high`});
      return z.NEVER;
    }
    if (size.width > size.height) {
      context.addIssue({code: 'custom', message: `${value} is wider than it is high: give the size as width×height, e.g. ${Math.round(size.height)}mm×${Math.round(size.width)}mm`});
      return z.NEVER;
    }
    return size;
  });

const bleed = z
  .string({error: 'must be a length such as 3mm'})
  .transform((value, context) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$/.exec(value);
    const length = match ? parseLength(match[1]!, match[2]!) : NaN;
    if (!(length >= 0 && length <= 20)) {
      context.addIssue({code: 'custom', message: `“${value}” is not a bleed such as 3mm (0–20 mm)`});
      return z.NEVER;
    }
    return length;
  });

const margin = z
  .string({error: 'must be a length such as 20mm'})
  .transform((value, context) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$/.exec(value);
    const length = match ? parseLength(match[1]!, match[2]!) : NaN;
    if (!(length >= 5 && length <= 80)) {
      context.addIssue({code: 'custom', message: `“${value}” is not a margin such as 20mm (5–80 mm)`});
      return z.NEVER;
    }
    return length;
  });

const identifier = z
  .string({error: 'must be an ISBN or a URN'})
  .trim()
  .transform((value, context) => {
    if (/^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(value)) return {kind: 'urn' as const, value, display: value};
    const written = value.replace(/^ISBN(?:-1[03])?:?\s*/i, '');
    const digits = written.replace(/[\s-]/g, '');
    if (/^(97[89])\d{10}$/.test(digits) && isbn13Valid(digits)) return {kind: 'isbn' as const, value: digits, display: written};
    context.addIssue({code: 'custom', message: `“${value}” is neither a valid ISBN-13 (check digit included) nor a URN such as urn:uuid:…`});
    return z.NEVER;
  });

function isbn13Valid(digits: string): boolean {
  const sum = [...digits].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return sum % 10 === 0;
}

export const bookSchema = z.strictObject({
  title: prose,
  subtitle: prose.optional(),
  /** The series the book belongs to, for the cover. */
  series: prose.optional(),
  lang: z
    .string({error: 'must be a language tag such as zh-CN'})
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, {error: 'must be a language tag such as zh-CN'})
    .default('zh-CN'),
  authors: names.optional(),
  editors: names.optional(),
  publisher: prose.optional(),
  date: date.optional(),
  identifier: identifier.optional(),
  /** 版次 and 印次 on the 版权页, as they are to be printed: “2025年10月第1版”. */
  edition: prose.optional(),
  printing: prose.optional(),
  /** The 图书在版编目（CIP）数据 block, as supplied by the CIP office (several lines). */
  cip: prose.optional(),
  /** A half-title page (书名页 before the title page). */
  halftitle: z.boolean({error: 'must be true or false'}).default(false),
  trim: trim.default({width: 170, height: 240}),
  bleed: bleed.default(3),
  /** Characters a line of body text (字/行); derived from the trim when not given (styles/page.yaml). */
  measure: z.number({error: 'must be a whole number of characters, such as 35'}).int({error: 'must be a whole number of characters, such as 35'}).min(15, {error: 'must be at least 15 characters'}).max(60, {error: 'must be at most 60 characters'}).optional(),
  /** Lines a page (行/页); derived from the trim when not given. */
  lines: z.number({error: 'must be a whole number of lines, such as 30'}).int({error: 'must be a whole number of lines, such as 30'}).min(10, {error: 'must be at least 10 lines'}).max(60, {error: 'must be at most 60 lines'}).optional(),
  /** Margins of the text block, as lengths; each derived from the trim when not given. */
  margins: z.strictObject({top: margin, inner: margin}).partial().optional(),
  /** What the table of contents lists: chapters only, or their sections too. */
  toc: z.enum(['chapters', 'sections'], {error: 'must be “chapters” or “sections”'}).default('chapters'),
  front: fileList.optional(),
  cases: fileList.optional(),
});

export type BookConfig = z.output<typeof bookSchema>;

export const chapterSchema = z.strictObject({
  title: prose,
  subtitle: prose.optional(),
  authors: names.optional(),
  date: date.optional(),
  source: prose.optional(),
  /** The running head (书眉) when the title is too long for it. */
  'short-title': prose.optional(),
});

export type ChapterMeta = z.output<typeof chapterSchema>;
