// Page structure lives in templates/*.ejs so that a designer can change it without touching TypeScript.
// A mistake in a template is reported with the template's file and line, like a manuscript problem.
import path from 'node:path';
import ejs from 'ejs';
import {VFile} from 'vfile';
import {reportError} from '../messages.js';
import {TEMPLATES_DIR} from '../project.js';

export class TemplateError extends Error {
  constructor(readonly file: VFile) {
    super(String(file.messages[0]));
  }
}

/**
 * Forgets the compiled templates. Compiling once per build is enough (a chapter template serves every
 * case), but `npm run dev` builds again in the same process after a designer saves a template.
 */
export function forgetTemplates(): void {
  ejs.clearCache();
}

/** Renders templates/<name>; throws TemplateError (with position) when the template is broken. */
export async function renderTemplate(name: string, data: Record<string, unknown>): Promise<string> {
  const file = path.join(TEMPLATES_DIR, name);
  try {
    return await ejs.renderFile(file, data, {async: true, cache: true, strict: false});
  } catch (error) {
    const message = (error as Error).message;
    const line = Number(/^[^\n]*?:(\d+)\n/.exec(message)?.[1] ?? 1);
    const reason = message.split('\n').filter(Boolean).at(-1) ?? message;
    const vfile = new VFile({path: file});
    reportError(vfile, `template error: ${reason}`, {line, column: 1}, 'template');
    throw new TemplateError(vfile);
  }
}
