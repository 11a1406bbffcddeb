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

const trim = z
  .string({error: 'must be a size such as 170mm×240mm'})
  .transform((value, context) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*[×xX*]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$/.exec(value);
    if (!match) {
      context.addIssue({code: 'custom', message: `“${value}” is not a size such as 170mm×240mm (width×height)`});
      return z.NEVER;
    }
    const [, width, widthUnit, height, heightUnit] = match;
    const size = {width: parseLength(width!, widthUnit ?? heightUnit!), height: parseLength(height!, heightUnit!)};
    if (size.width < 50 || size.height < 50 || size.width > 1000 || size.height > 1000) {
      context.addIssue({code: 'custom', message: `${value} is not a plausible book size (each side 50–1000 mm)`});
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
});

export type ChapterMeta = z.output<typeof chapterSchema>;
