// Every <img> must be a real image file inside the manuscript folder: never a URL (a build must not touch
// the network), never a path that leaves the manuscript (symlinks resolved first). Each is read once,
// checked by its bytes (its kind, its size in pixels, and that it decodes whole), given a
// content-derived name and recorded for the HTML and EPUB outputs.
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import type {Element, Root} from 'hast';
import type {Position} from 'unist';
import {imageSize} from 'image-size';
import sharp from 'sharp';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import type {VFile} from 'vfile';
import {decodePercent, resolveInside} from '../files.js';
import {reportError} from '../messages.js';

export interface ImageAsset {
  /** File name in the outputs' images/ folder, derived from the content. */
  name: string;
  /** The file it was read from (symlinks resolved). */
  source: string;
  /** Where the chapter uses it first, for messages about the picture (its resolution in print). */
  place?: Position;
  mediaType: string;
  width: number;
  height: number;
  data: Uint8Array;
}

declare module 'vfile' {
  interface DataMap {
    images: ImageAsset[];
  }
}

export interface LocalImagesOptions {
  /** The manuscript folder: no image may come from outside it. */
  root: string;
}

const MEDIA_TYPES: Record<string, string> = {jpg: 'image/jpeg', png: 'image/png', gif: 'image/gif'};

const rehypeLocalImages: Plugin<[LocalImagesOptions], Root> = (options) => async (tree, file) => {
  const images: Element[] = [];
  visit(tree, 'element', (node) => {
    if (node.tagName === 'img') images.push(node);
  });
  const assets = new Map<string, ImageAsset>();
  // Read and decoded at once (decoding runs in libvips's threads), each file once.
  const loads = new Map<string, Promise<ImageAsset | Refusal>>();
  const loaded = await Promise.all(images.map((node) => {
    const src = String(node.properties.src ?? '');
    const first = !loads.has(src);
    if (first) loads.set(src, loadImage(src, file, options.root));
    return loads.get(src)!.then((result) => ({result, first}));
  }));
  // Reported in the order of the chapter, whichever image was checked first.
  for (const [index, node] of images.entries()) {
    const {result: asset, first} = loaded[index]!;
    if ('reason' in asset) {
      if (first) reportError(file, asset.reason, node, 'image', asset.hint);
      continue;
    }
    if (!assets.has(asset.name)) assets.set(asset.name, {...asset, place: node.position});
    node.properties.src = `images/${asset.name}`;
    node.properties.width = asset.width;
    node.properties.height = asset.height;
  }
  file.data.images = [...assets.values()];
};

/** Why an image cannot be used. */
interface Refusal {
  reason: string;
  hint?: string;
}

async function loadImage(src: string, file: VFile, root: string): Promise<ImageAsset | Refusal> {
  const fail = (reason: string, hint?: string): Refusal => ({reason, hint});
  if (!src) return fail('an image without a file path');
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(src)) {
    return fail(`image “${src}” is a URL: the build never downloads anything`, 'Save the image in the manuscript’s images/ folder and give its relative path.');
  }
  const decoded = decodePercent(src.split(/[?#]/)[0]!);
  if (decoded === undefined) return fail(`image “${src}” has a malformed %-escape in its path`, 'Write the file name as it is (Chinese characters need no escapes); a “%” alone is written %25.');
  const target = path.resolve(path.dirname(file.path), decoded);
  const resolved = await resolveInside(root, target);
  if ('problem' in resolved) return fail(`image “${decoded}” ${resolved.problem} (looked for ${path.relative(process.cwd(), target)})`);
  if (!resolved.inside) return fail(`image “${decoded}” is outside the manuscript folder`, 'Images must be inside the manuscript, e.g. in images/.');

  let data: Uint8Array;
  try {
    data = await readFile(resolved.real);
  } catch (error) {
    return fail(`image “${decoded}” cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let size: ReturnType<typeof imageSize> | undefined;
  try {
    size = imageSize(data);
  } catch {
    size = undefined;
  }
  const mediaType = size?.type ? MEDIA_TYPES[size.type] : undefined;
  if (!size || !mediaType || !size.width || !size.height) {
    return fail(`“${decoded}” is not a JPEG, PNG or GIF image`, 'Export the picture as JPEG or PNG.');
  }
  const {width, height} = size;
  if (width * height > MAX_PIXELS) {
    return fail(`image “${decoded}” is ${width}×${height} pixels (${Math.round((width * height) / 1e6)} megapixels); an image may have at most ${MAX_PIXELS / 1e6} megapixels`,
      'A photo printed across the whole page needs some 2,000×3,000 pixels: scale it down.');
  }
  const problem = await undecodable(data, width);
  if (problem) return fail(`image “${decoded}” is damaged: ${problem}`, 'Export or copy the picture again; the file may have been cut short.');
  return {name: `${contentHash(data)}.${size.type}`, source: resolved.real, mediaType, width, height, data};
}

/**
 * More pixels than any picture of a book needs (a page at 600 dpi is some 35 megapixels), and than the
 * build should decode: a small PNG can declare 20000×20000 pixels, which took Chromium 5 GB to print.
 */
export const MAX_PIXELS = 100_000_000;

/**
 * Why the image cannot be decoded whole (cut short, damaged), or undefined. Every byte of the compressed
 * data is decoded; a JPEG only at an eighth of its size (its DCT scaling), which costs a fifth of a full
 * decode (measured on a 12-megapixel photo: 80–250 ms against 1.1–1.3 s).
 */
async function undecodable(data: Uint8Array, width: number): Promise<string | undefined> {
  try {
    await sharp(data, {failOn: 'warning', limitInputPixels: MAX_PIXELS, sequentialRead: true})
      .resize({width: Math.min(width, 256)})
      .raw()
      .toBuffer();
    return undefined;
  } catch (error) {
    return decoderMessage((error as Error).message);
  }
}

/** libvips's message, without its loader's name: “premature end of JPEG image”. */
function decoderMessage(message: string): string {
  return message.split('\n')[0]!.replace(/^(?:Input buffer has corrupt header: )?\w+: /, '').trim() || 'it cannot be decoded';
}

/** The start of an image's output name: its content's hash, so that a replaced picture is a new file. */
export function contentHash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

export default rehypeLocalImages;
