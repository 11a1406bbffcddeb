// YAML (book.yaml and chapter frontmatter) parsed and validated with positions: every problem points at
// the key or value it concerns, in the file the editor has open.
import {location} from 'vfile-location';
import type {VFile} from 'vfile';
import {isMap, isPair, isScalar, parseDocument, type Document, type Node as YamlNode} from 'yaml';
import type {z} from 'zod';
import type {Point, Position} from 'unist';
import {closest, reportError} from '../messages.js';
import {hasStrayCharacters, reportStrayCharacters, withoutStrayCharacters} from '../stray-characters.js';

// Aliases are legitimate YAML but a few thousand of them expand into gigabytes (a "billion laughs").
const MAX_ALIAS_COUNT = 100;

export interface YamlSource {
  file: VFile;
  /** The YAML text. */
  text: string;
  /** Where `text` starts in `file.value`: frontmatter starts after its `---` line. */
  offset: number;
}

export interface ParsedYaml<T> {
  data: T;
  /** Where the value at `path` is, for messages about it found later (a listed file that is missing). */
  positionOf(path: (string | number)[]): Position;
}

/**
 * Parses and validates YAML. Returns the validated data, or undefined after reporting every problem on
 * `source.file` (YAML syntax, unknown keys with a "did you mean", missing or invalid values).
 */
export function parseYaml<Schema extends z.ZodType>(source: YamlSource, schema: Schema): ParsedYaml<z.output<Schema>> | undefined {
  const place = positionMapper(source);
  const doc = parseDocument(source.text, {uniqueKeys: true, prettyErrors: false, strict: true});
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      reportError(source.file, `invalid YAML: ${firstLine(error.message)}`, place(error.pos), 'yaml-syntax');
    }
    return undefined;
  }

  let data: unknown;
  try {
    data = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT}) ?? {};
  } catch (error) {
    reportError(source.file, `YAML could not be read: ${firstLine(String((error as Error).message))}`, place([0, 0]), 'yaml-syntax',
      'Aliases (*name) may be used only a few times; write the values out instead.');
    return undefined;
  }

  reportStrayCharacters(source.file, source.text, source.offset);
  if (hasStrayCharacters(source.text)) data = withoutStray(data);

  const result = schema.safeParse(data);
  if (result.success) return {data: result.data, positionOf: (path) => place(nodeRange(doc, path.map(String)))};
  for (const issue of result.error.issues) reportIssue(source, doc, data, issue, place, schema);
  return undefined;
}

function reportIssue(source: YamlSource, doc: Document, data: unknown, issue: z.core.$ZodIssue, place: PositionMapper, schema: z.ZodType) {
  const keyPath = issue.path.map(String);
  const shown = keyPath.length > 0 ? `“${keyPath.join('.')}”` : 'the document';
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, keyPath);
    for (const key of issue.keys) {
      const suggestion = closest(key, known);
      reportError(source.file, `unknown key “${key}”${suggestion ? ` (did you mean “${suggestion}”?)` : ''}`,
        place(keyRange(doc, [...keyPath, key])), 'unknown-key', known.length > 0 ? `Known keys: ${known.join(', ')}.` : undefined);
    }
    return;
  }
  if (issue.code === 'invalid_type' && !hasPath(data, keyPath)) {
    const parent = keyPath.slice(0, -1);
    reportError(source.file, `missing required field “${keyPath.at(-1)}”`, place(nodeRange(doc, parent)), 'missing-field');
    return;
  }
  reportError(source.file, `${shown}: ${issue.message}`, place(nodeRange(doc, keyPath)), 'invalid-field');
}

function hasPath(data: unknown, path: string[]): boolean {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !(key in value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined && value !== null;
}

function knownKeys(schema: z.ZodType, path: string[]): string[] {
  // Only top-level objects carry the keys editors type; nested objects are rare enough to skip.
  const shape = path.length === 0 ? (schema as unknown as {shape?: Record<string, unknown>}).shape : undefined;
  return shape ? Object.keys(shape) : [];
}

function nodeRange(doc: Document, path: string[]): [number, number] {
  const node = path.length === 0 ? doc.contents : (doc.getIn(path, true) as YamlNode | undefined);
  if (node && 'range' in node && node.range) return [node.range[0], node.range[1]];
  return path.length > 0 ? nodeRange(doc, path.slice(0, -1)) : [0, 0];
}

function keyRange(doc: Document, path: string[]): [number, number] {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === path.at(-1));
    if (pair && isScalar(pair.key) && pair.key.range) return [pair.key.range[0], pair.key.range[1]];
  }
  return nodeRange(doc, path.slice(0, -1));
}

type PositionMapper = (range: readonly [number, number] | readonly number[]) => Position;

function positionMapper(source: YamlSource): PositionMapper {
  const where = location(source.file);
  const point = (offset: number): Point => {
    const found = where.toPoint(source.offset + Math.min(Math.max(offset, 0), source.text.length));
    return found ?? {line: 1, column: 1, offset: 0};
  };
  return (range) => ({start: point(range[0] ?? 0), end: point(range[1] ?? range[0] ?? 0)});
}

/** `data` with the stray characters taken out of every string in it. */
function withoutStray(data: unknown): unknown {
  if (typeof data === 'string') return withoutStrayCharacters(data);
  if (Array.isArray(data)) return data.map(withoutStray);
  if (data instanceof Date || typeof data !== 'object' || data === null) return data;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [withoutStrayCharacters(key), withoutStray(value)]));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

