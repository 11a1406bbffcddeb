// Preflight finds what a print house would refuse or ask about, in PDFs made to have those faults.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {PDFDocument, rgb, StandardFonts} from 'pdf-lib';
import {describe, expect, it} from 'vitest';
import {preflight} from '../../src/6-preflight/index.js';
import {gradientPng} from '../fixtures/png.js';
import {cli, PROJECT, temporaryDirectory} from '../helpers.js';

const MM = 72 / 25.4;

async function pdf(draw: (document: PDFDocument) => Promise<void>): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  await draw(document);
  return document.save();
}

describe('preflight', () => {
  it('refuses fonts that are not embedded and pages without trim and bleed boxes', async () => {
    const bytes = await pdf(async (document) => {
      const page = document.addPage([170 * MM, 240 * MM]);
      page.drawText('Hello', {font: await document.embedFont(StandardFonts.Helvetica), x: 50, y: 50});
    });
    const report = await preflight(bytes, {kind: 'print', trim: {width: 170, height: 240}, bleed: 3});
    expect(report.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.message)).toEqual([
      'page 1 has no TrimBox',
      'page 1 has no BleedBox',
      'font Helvetica (Type 1) is not embedded',
    ]);
  });

  it('warns about images below 300 dpi at their printed size and notes RGB colour and the page count', async () => {
    const bytes = await pdf(async (document) => {
      const page = document.addPage([176 * MM, 246 * MM]);
      page.setTrimBox(3 * MM, 3 * MM, 170 * MM, 240 * MM);
      page.setBleedBox(0, 0, 176 * MM, 246 * MM);
      const image = await document.embedPng(gradientPng(600, 400));
      page.drawImage(image, {x: 20 * MM, y: 20 * MM, width: 127 * MM, height: 84.7 * MM});
      page.drawRectangle({x: 10, y: 10, width: 20, height: 20, color: rgb(0.8, 0.1, 0.1)});
    });
    const report = await preflight(bytes, {kind: 'print', trim: {width: 170, height: 240}, bleed: 3});
    const messages = report.findings.map((finding) => `${finding.severity}: ${finding.message}`);
    expect(messages).toContain('warning: image below 300 dpi: page 1: 600×400 px printed at 127.0×84.7 mm is 120 dpi');
    expect(messages.some((message) => message.startsWith('note: RGB colour on 1 page(s)'))).toBe(true);
    expect(messages.some((message) => message.startsWith('note: 1 pages, not a multiple of 4'))).toBe(true);
    expect(report.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
  });

  it('passes the real book’s print PDF through the command line', async () => {
    const out = await temporaryDirectory('out');
    expect((await cli(['build', '--manuscript', path.join(PROJECT, 'manuscript'), '--out', out, '--pdf', 'print'])).code).toBe(0);
    const result = await cli(['preflight', path.join(out, '杭州路径-print.pdf'), '--trim', '170mm×240mm', '--bleed', '3mm']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/pages 1–\d+: media 190\.0×260\.0, trim 170\.0×240\.0, bleed 176\.0×246\.0 \(mm\)/);
    expect(result.stdout).toMatch(/fonts: \d+, \d+ embedded \(\d+ as subsets\); types: CID TrueType/);
    expect(result.stdout).toContain('no errors');
    expect(await readFile(path.join(out, '杭州路径-print.pdf'))).toBeTruthy();
  });
});
