// Prints the problems found, once, at the end of a run: one `path:line:col: severity: message [rule]`
// line each (editors and terminals make these clickable), grouped by file in the order files were read.
import path from 'node:path';
import {styleText} from 'node:util';
import type {VFile} from 'vfile';
import type {VFileMessage} from 'vfile-message';

export interface ReportOptions {
  color: boolean;
  cwd?: string;
}

export function formatReport(files: VFile[], options: ReportOptions): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (options.color ? styleText(style, text) : text);
  const groups: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const file of files) {
    if (file.messages.length === 0) continue;
    const lines: string[] = [];
    for (const message of [...file.messages].sort(byPosition)) {
      const isError = message.fatal === true;
      if (isError) errors++;
      else warnings++;
      const where = `${displayPath(file, options.cwd)}:${message.line ?? 1}:${message.column ?? 1}`;
      const severity = isError ? paint(['red', 'bold'], 'error') : paint('yellow', 'warning');
      lines.push(`${paint('bold', where)}: ${severity}: ${message.reason}${message.ruleId ? paint('dim', ` [${message.ruleId}]`) : ''}`);
      if (message.note) lines.push(paint('dim', `    hint: ${message.note}`));
    }
    groups.push(lines.join('\n'));
  }
  if (groups.length === 0) return '';
  const summary = [errors ? `${errors} error${errors > 1 ? 's' : ''}` : '', warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : '']
    .filter(Boolean)
    .join(', ');
  return `${groups.join('\n\n')}\n\n${errors ? paint(['red', 'bold'], summary) : paint('yellow', summary)}\n`;
}

export function displayPath(file: VFile, cwd = process.cwd()): string {
  return file.path ? path.relative(cwd, file.path) || file.path : '<unknown>';
}

function byPosition(a: VFileMessage, b: VFileMessage): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

export interface JsonMessage {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  severity: 'error' | 'warning';
  rule?: string;
  message: string;
  hint?: string;
}

/** The same problems for machines (`--format json`): one object per message, in report order. */
export function jsonMessages(files: VFile[], cwd = process.cwd()): JsonMessage[] {
  return files.flatMap((file) =>
    [...file.messages].sort(byPosition).map((message) => ({
      file: displayPath(file, cwd),
      line: message.line ?? 1,
      column: message.column ?? 1,
      ...(message.place && 'end' in message.place ? {endLine: message.place.end.line, endColumn: message.place.end.column} : {}),
      severity: message.fatal === true ? ('error' as const) : ('warning' as const),
      ...(message.ruleId ? {rule: message.ruleId} : {}),
      message: message.reason,
      ...(message.note ? {hint: message.note} : {}),
    })),
  );
}
