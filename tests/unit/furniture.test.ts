// Page furniture is written as operators into streams the pages share: a part's running head, a side's
// crop marks are one stream however many pages show them.
import {PDFArray, PDFDocument, PDFName, PDFRawStream, PDFRef} from 'pdf-lib';
import {expect, it} from 'vitest';
import {asArtifact, SharedContent} from '../../src/4-pdf/furniture.js';
import {decodeStream} from '../../src/pdf-content.js';

it('gives pages that draw the same thing one stream, and a page that draws something else its own', async () => {
  const document = await PDFDocument.create();
  const pages = [document.addPage(), document.addPage(), document.addPage()];
  const content = new SharedContent(document);
  const head = asArtifact('q 0 g BT /F1 9 Tf 1 0 0 1 10 20 Tm <0001> Tj ET Q');
  for (const page of pages) content.append(page, head);
  content.append(pages[2]!, asArtifact('q 0 g BT /F1 9 Tf 1 0 0 1 10 20 Tm <0002> Tj ET Q'));

  const streamsOf = (index: number) => pages[index]!.node.lookup(PDFName.of('Contents'), PDFArray).asArray() as PDFRef[];
  expect(streamsOf(0)).toEqual(streamsOf(1));
  expect(streamsOf(2)[0]).toBe(streamsOf(0)[0]);
  expect(streamsOf(2)).toHaveLength(2);
  const text = Buffer.from(decodeStream(document.context.lookup(streamsOf(2)[1]!) as PDFRawStream)).toString('latin1');
  expect(text).toBe('/Artifact BMC\nq 0 g BT /F1 9 Tf 1 0 0 1 10 20 Tm <0002> Tj ET Q\nEMC');
});
