// Preflight: what a print house checks before it prints, run on any PDF (`npm run preflight`) and at
// the end of every build. Page count, page boxes, fonts and their embedding, image resolution at the
// printed size, RGB colour. Errors make a PDF unfit to print; notes are for the conversation with the
// printer (RGB is converted by most print houses: reported, not refused, until a PDF/X route exists).
import {PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, type PDFContext, type PDFObject, type PDFPage} from 'pdf-lib';
import {contentStreams, openPdf, POINTS_PER_MM, readPageContent} from '../pdf-content.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  severity: Severity;
  message: string;
}

export interface FontInfo {
  name: string;
  type: string;
  embedded: boolean;
  subset: boolean;
}

export interface BoxSizes {
  /** 1-based page numbers that share these sizes. */
  pages: number[];
  media: string;
  trim: string | undefined;
  bleed: string | undefined;
}

export interface PreflightReport {
  pages: number;
  boxes: BoxSizes[];
  fonts: FontInfo[];
  findings: Finding[];
}

export interface PreflightExpectations {
  /** 'print': trim and bleed boxes on every page, no annotations. */
  kind?: 'print' | 'screen';
  /** Trim size and bleed the book asks for, millimetres. */
  trim?: {width: number; height: number};
  bleed?: number;
}

const MIN_DPI = 300;
const TOLERANCE_PT = 0.5;

/** Checks a PDF: its bytes, or the document just written (reading those back would only parse them again). */
export async function preflight(pdf: Uint8Array | PDFDocument, expect: PreflightExpectations = {}): Promise<PreflightReport> {
  const document = pdf instanceof PDFDocument ? pdf : await openPdf(pdf);
  const context = document.context;
  const findings: Finding[] = [];
  const pages = document.getPages();

  const count = pages.length;
  if (count % 4 !== 0) {
    findings.push({severity: 'note', message: `${count} pages, not a multiple of 4: the binder will add ${4 - (count % 4)} blank page(s) (build with --pad to add them yourself)`});
  }

  const boxes = boxSizes(pages);
  checkBoxes(pages, expect, findings);

  const fonts = new Map<string, FontInfo>();
  const rgbPages: number[] = [];
  const lowResolution: string[] = [];
  pages.forEach((page, index) => {
    const resources = page.node.Resources();
    collectFonts(context, resources, fonts, new Set());
    // Image resolution and RGB colour matter to the press only.
    if (expect.kind === 'screen') return;
    const content = readPageContent(context, contentStreams(page), resources);
    if (content.rgbOperators > 0 || content.images.some((image) => image.colorSpace === 'RGB')) rgbPages.push(index + 1);
    for (const image of content.images) {
      const dpi = Math.min(image.width / (image.printedWidth / 72), image.height / (image.printedHeight / 72));
      if (dpi < MIN_DPI) {
        lowResolution.push(`page ${index + 1}: ${image.width}×${image.height} px printed at ${mm(image.printedWidth)}×${mm(image.printedHeight)} mm is ${Math.round(dpi)} dpi`);
      }
    }
    if (expect.kind === 'print' && (page.node.lookupMaybe(PDFName.of('Annots'), PDFArray)?.size() ?? 0) > 0) {
      findings.push({severity: 'error', message: `page ${index + 1} has links or annotations`});
    }
  });

  for (const font of fonts.values()) {
    if (font.type === 'Type 3') findings.push({severity: 'error', message: `font ${font.name} is Type 3 (bitmap-like; print houses refuse it)`});
    else if (!font.embedded) findings.push({severity: 'error', message: `font ${font.name} (${font.type}) is not embedded`});
  }
  for (const message of lowResolution) findings.push({severity: 'warning', message: `image below ${MIN_DPI} dpi: ${message}`});
  if (rgbPages.length > 0) {
    findings.push({severity: 'note', message: `RGB colour on ${rgbPages.length} page(s) (${ranges(rgbPages)}): the print house converts it to CMYK or asks for a CMYK file`});
  }
  return {pages: count, boxes, fonts: [...fonts.values()], findings};
}

export function formatPreflight(name: string, report: PreflightReport): string {
  const lines = [`Preflight of ${name}: ${report.pages} pages${report.pages % 4 === 0 ? ' (a multiple of 4)' : ''}`];
  for (const box of report.boxes) {
    lines.push(`  pages ${ranges(box.pages)}: media ${box.media}, trim ${box.trim ?? '—'}, bleed ${box.bleed ?? '—'} (mm)`);
  }
  const embedded = report.fonts.filter((font) => font.embedded).length;
  lines.push(`  fonts: ${report.fonts.length}, ${embedded} embedded (${report.fonts.filter((font) => font.subset).length} as subsets); types: ${[...new Set(report.fonts.map((font) => font.type))].join(', ') || 'none'}`);
  for (const finding of report.findings) lines.push(`  ${finding.severity}: ${finding.message}`);
  if (!report.findings.some((finding) => finding.severity === 'error')) lines.push('  no errors');
  return `${lines.join('\n')}\n`;
}

function checkBoxes(pages: PDFPage[], expect: PreflightExpectations, findings: Finding[]) {
  pages.forEach((page, index) => {
    const trim = explicitBox(page, 'TrimBox');
    const bleed = explicitBox(page, 'BleedBox');
    const media = page.getMediaBox();
    const number = index + 1;
    if (expect.kind === 'print') {
      if (!trim) findings.push({severity: 'error', message: `page ${number} has no TrimBox`});
      if (!bleed) findings.push({severity: 'error', message: `page ${number} has no BleedBox`});
    }
    if (trim && expect.trim && (Math.abs(trim.width - expect.trim.width * POINTS_PER_MM) > TOLERANCE_PT || Math.abs(trim.height - expect.trim.height * POINTS_PER_MM) > TOLERANCE_PT)) {
      findings.push({severity: 'error', message: `page ${number}: trim ${mm(trim.width)}×${mm(trim.height)} mm, the book is ${expect.trim.width}×${expect.trim.height} mm`});
    }
    if (trim && bleed && expect.kind === 'print' && expect.bleed !== undefined) {
      const margins = [trim.x - bleed.x, trim.y - bleed.y, bleed.x + bleed.width - trim.x - trim.width, bleed.y + bleed.height - trim.y - trim.height];
      if (margins.some((margin) => Math.abs(margin - expect.bleed! * POINTS_PER_MM) > TOLERANCE_PT)) {
        findings.push({severity: 'error', message: `page ${number}: the bleed is not ${expect.bleed} mm on every side`});
      }
    }
    if (bleed && (bleed.x < media.x - TOLERANCE_PT || bleed.y < media.y - TOLERANCE_PT || bleed.x + bleed.width > media.x + media.width + TOLERANCE_PT || bleed.y + bleed.height > media.y + media.height + TOLERANCE_PT)) {
      findings.push({severity: 'error', message: `page ${number}: the BleedBox reaches outside the MediaBox`});
    }
  });
}

function boxSizes(pages: PDFPage[]): BoxSizes[] {
  const groups = new Map<string, BoxSizes>();
  pages.forEach((page, index) => {
    const size = (box: {width: number; height: number} | undefined) => (box ? `${mm(box.width)}×${mm(box.height)}` : undefined);
    const entry = {media: size(page.getMediaBox())!, trim: size(explicitBox(page, 'TrimBox')), bleed: size(explicitBox(page, 'BleedBox'))};
    const key = JSON.stringify(entry);
    const group = groups.get(key) ?? groups.set(key, {pages: [], ...entry}).get(key)!;
    group.pages.push(index + 1);
  });
  return [...groups.values()];
}

/** A box the page sets itself (pdf-lib's getters fall back to the crop box). */
function explicitBox(page: PDFPage, key: 'TrimBox' | 'BleedBox') {
  if (!page.node.get(PDFName.of(key))) return undefined;
  return key === 'TrimBox' ? page.getTrimBox() : page.getBleedBox();
}

function collectFonts(context: PDFContext, resources: PDFDict | undefined, fonts: Map<string, FontInfo>, seen: Set<PDFDict>) {
  if (!resources || seen.has(resources)) return;
  seen.add(resources);
  const fontDict = resolve(context, resources.get(PDFName.of('Font')));
  if (fontDict instanceof PDFDict) {
    for (const [, value] of fontDict.entries()) {
      const font = resolve(context, value);
      if (font instanceof PDFDict) {
        const info = describeFont(context, font);
        fonts.set(`${info.name} ${info.type}`, info);
      }
    }
  }
  const xobjects = resolve(context, resources.get(PDFName.of('XObject')));
  if (xobjects instanceof PDFDict) {
    for (const [, value] of xobjects.entries()) {
      const xobject = resolve(context, value);
      if (xobject instanceof PDFRawStream && xobject.dict.get(PDFName.of('Subtype')) === PDFName.of('Form')) {
        const formResources = resolve(context, xobject.dict.get(PDFName.of('Resources')));
        if (formResources instanceof PDFDict) collectFonts(context, formResources, fonts, seen);
      }
    }
  }
}

function describeFont(context: PDFContext, font: PDFDict): FontInfo {
  const name = (resolve(context, font.get(PDFName.of('BaseFont'))) as PDFName | undefined)?.asString().slice(1) ?? '(unnamed)';
  const subtype = (resolve(context, font.get(PDFName.of('Subtype'))) as PDFName | undefined)?.asString();
  let descriptorOwner = font;
  let type = {'/Type1': 'Type 1', '/TrueType': 'TrueType', '/Type3': 'Type 3', '/MMType1': 'Type 1'}[subtype ?? ''] ?? subtype ?? 'unknown';
  if (subtype === '/Type0') {
    const descendants = resolve(context, font.get(PDFName.of('DescendantFonts')));
    const descendant = descendants instanceof PDFArray ? resolve(context, descendants.get(0)) : undefined;
    if (descendant instanceof PDFDict) {
      descriptorOwner = descendant;
      const cidType = (resolve(context, descendant.get(PDFName.of('Subtype'))) as PDFName | undefined)?.asString();
      type = cidType === '/CIDFontType2' ? 'CID TrueType' : 'CID Type 0';
    }
  }
  const descriptor = resolve(context, descriptorOwner.get(PDFName.of('FontDescriptor')));
  const embedded = type === 'Type 3' || (descriptor instanceof PDFDict && ['FontFile', 'FontFile2', 'FontFile3'].some((key) => descriptor.get(PDFName.of(key))));
  return {name, type, embedded, subset: /^[A-Z]{6}\+/.test(name)};
}

function resolve(context: PDFContext, value: PDFObject | undefined): PDFObject | undefined {
  return value instanceof PDFRef ? context.lookup(value) : value;
}

function mm(points: number): string {
  return (points / POINTS_PER_MM).toFixed(1);
}

function ranges(numbers: number[]): string {
  const parts: string[] = [];
  for (let index = 0; index < numbers.length; ) {
    let end = index;
    while (end + 1 < numbers.length && numbers[end + 1] === numbers[end]! + 1) end++;
    parts.push(end === index ? String(numbers[index]) : `${numbers[index]}–${numbers[end]}`);
    index = end + 1;
  }
  return parts.join(', ');
}
