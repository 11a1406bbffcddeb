// Synthetic casebooks made from the real case: the same structure and text under different titles, for
// the benchmark and for tests that need many cases. With `vary`, each case keeps a different number of
// paragraphs, so that cases end on odd and even pages alike.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const MANUSCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../manuscript');

export interface CasebookOptions {
  cases: number;
  vary?: boolean;
  /** Extra book.yaml lines. */
  book?: string;
}

export async function syntheticCasebook(options: CasebookOptions): Promise<Record<string, string>> {
  const source = await readFile(path.join(MANUSCRIPT, 'cases/01-linping.md'), 'utf8');
  const [, frontmatter = '', body = ''] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(source) ?? [];
  const blocks = body.trim().split(/\n\n(?![^:]*\n:::)/);
  const files: Record<string, string> = {
    'book.yaml': `title: 杭州路径\nsubtitle: 合成样书\nfront:\n  - front/01-series-introduction.md\n${options.book ?? ''}`,
    'front/01-series-introduction.md': await readFile(path.join(MANUSCRIPT, 'front/01-series-introduction.md'), 'utf8'),
  };
  for (let index = 1; index <= options.cases; index++) {
    const number = String(index).padStart(3, '0');
    const title = `案例${toChineseNumber(index)}：${/title: (.*)/.exec(frontmatter)?.[1] ?? ''}`;
    const kept = options.vary ? blocks.slice(0, 6 + ((index * 7) % (blocks.length - 6))) : blocks;
    // A cut inside the commentary would leave its ::: open.
    const text = kept.join('\n\n');
    const closed = (text.match(/^:::commentary/m) && !/\n:::\s*$/.test(text)) ? `${text}\n:::` : text;
    files[`cases/${number}-case.md`] = `---\n${frontmatter.replace(/title: .*/, `title: ${title}`)}\n---\n\n${closed}\n`;
  }
  return files;
}

function toChineseNumber(value: number): string {
  const digits = '零一二三四五六七八九';
  if (value < 10) return digits[value]!;
  if (value < 20) return `十${value % 10 ? digits[value % 10] : ''}`;
  if (value < 100) return `${digits[Math.floor(value / 10)]}十${value % 10 ? digits[value % 10] : ''}`;
  return String(value);
}
