// The kept print's form: a PDF's objects as JSON and its streams' bytes, read back into the same PDF.
import {PDFArray, PDFBool, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNull, PDFNumber, PDFRef, PDFString, StandardFonts} from 'pdf-lib';
import {describe, expect, it} from 'vitest';
import {readObjects, writeObjects} from '../../src/4-pdf/pdf-objects.js';

const save = (document: PDFDocument) => document.save({useObjectStreams: false});

/** A PDF with every kind of object: pages with text, names that need escapes, strings, numbers, null, booleans. */
async function sample(): Promise<PDFDocument> {
  const drawn = await PDFDocument.create({updateMetadata: false});
  const font = await drawn.embedFont(StandardFonts.Helvetica);
  for (const text of ['one', 'two (2)']) drawn.addPage([300, 400]).drawText(text, {x: 20.5, y: 300, size: 12, font});
  // As the kept print is: a PDF opened, then changed.
  const document = await PDFDocument.load(await save(drawn), {updateMetadata: false});
  const context = document.context;
  document.catalog.set(PDFName.of('Lang'), PDFString.of('zh-CN'));
  document.catalog.set(PDFName.of('Extra'), context.obj({
    'A name#20with space': PDFName.of('Value/with#slash'),
    Title: PDFHexString.fromText('杭州路径'),
    Numbers: [0, -1.25, 1e-4, 123456789],
    Flags: [PDFBool.True, PDFBool.False, PDFNull],
    Nested: {Deeper: {Empty: {}}},
    Old: PDFRef.of(7, 2),
  }));
  document.setTitle('杭州路径');
  return document;
}

describe('writeObjects and readObjects', () => {
  it('read back a PDF that saves to the same bytes', async () => {
    const document = await sample();
    const read = readObjects(writeObjects(document));
    expect(Buffer.from(await save(read)).equals(Buffer.from(await save(document)))).toBe(true);
    expect(read.getPageCount()).toBe(2);
    expect(read.getTitle()).toBe('杭州路径');
  });

  it('read pages, page trees and the catalog as pdf-lib parses them, names and references shared', async () => {
    const read = readObjects(writeObjects(await sample()));
    const page = read.getPage(1);
    expect(page.node.constructor.name).toBe('PDFPageLeaf');
    expect(read.catalog.Pages().constructor.name).toBe('PDFPageTree');
    expect(page.node.get(PDFName.of('Type'))).toBe(PDFName.of('Page'));
    expect(page.node.get(PDFName.of('Parent'))).toBe(read.catalog.get(PDFName.of('Pages')));
    const extra = read.catalog.lookup(PDFName.of('Extra'), PDFDict);
    expect(extra.get(PDFName.of('Old'))).toBe(PDFRef.of(7, 2));
    expect(extra.lookup(PDFName.of('Numbers'), PDFArray).lookup(1, PDFNumber).asNumber()).toBe(-1.25);
  });

  it('refuse data that is cut short or written in another form', async () => {
    const data = writeObjects(await sample());
    expect(() => readObjects(data.subarray(0, data.length - 10))).toThrow(/past the end/);
    expect(() => readObjects(data.subarray(0, 1000))).toThrow();
    expect(() => readObjects(Buffer.from(data.toString('latin1').replace('pdf-objects 1', 'pdf-objects 0'), 'latin1'))).toThrow(/not written as/);
  });
});
