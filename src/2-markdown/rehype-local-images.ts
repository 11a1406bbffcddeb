// Every <img> must be a real image file inside the manuscript folder: never a URL (a build must not touch
// the network), never a path that leaves the manuscript (symlinks resolved first). Each is read once,
// checked by its bytes, given a content-derived name and recorded for the HTML and EPUB outputs.
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import type {Element, Root} from 'hast';
import type {Position} from 'unist';
import {imageSize} from 'image-size';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import type {VFile} from 'vfile';
import {resolveInside} from '../files.js';
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
  for (const node of images) {
    const asset = await loadImage(node, file, options.root);
    if (!asset) continue;
    if (!assets.has(asset.name)) assets.set(asset.name, {...asset, place: node.position});
    node.properties.src = `images/${asset.name}`;
    node.properties.width = asset.width;
    node.properties.height = asset.height;
  }
  file.data.images = [...assets.values()];
};

async function loadImage(node: Element, file: VFile, root: string): Promise<ImageAsset | undefined> {
  const src = String(node.properties.src ?? '');
  const fail = (reason: string, hint?: string) => {
    reportError(file, reason, node, 'image', hint);
    return undefined;
  };
  if (!src) return fail('an image without a file path');
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(src)) {
    return fail(`image “${src}” is a URL: the build never downloads anything`, 'Save the image in the manuscript’s images/ folder and give its relative path.');
  }
  const target = path.resolve(path.dirname(file.path), decodeURIComponent(src.split(/[?#]/)[0]!));
  const resolved = await resolveInside(root, target);
  if (!resolved) return fail(`image “${src}” does not exist (looked for ${path.relative(process.cwd(), target)})`);
  if (!resolved.inside) return fail(`image “${src}” is outside the manuscript folder`, 'Images must be inside the manuscript, e.g. in images/.');

  let data: Uint8Array;
  try {
    data = await readFile(resolved.real);
  } catch (error) {
    return fail(`image “${src}” cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let size: ReturnType<typeof imageSize> | undefined;
  try {
    size = imageSize(data);
  } catch {
    size = undefined;
  }
  const mediaType = size?.type ? MEDIA_TYPES[size.type] : undefined;
  if (!size || !mediaType || !size.width || !size.height) {
    return fail(`“${src}” is not a JPEG, PNG or GIF image`, 'Export the picture as JPEG or PNG.');
  }
  return {name: `${contentHash(data)}.${size.type}`, source: resolved.real, mediaType, width: size.width, height: size.height, data};
}

/** The start of an image's output name: its content's hash, so that a replaced picture is a new file. */
export function contentHash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

export default rehypeLocalImages;
