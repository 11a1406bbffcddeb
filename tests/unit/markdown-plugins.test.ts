// One describe per plugin of the Markdown stage: what it makes of a small input, and what it reports.
import {mkdir, symlink, writeFile} from 'node:fs/promises';
import path from 'node:path';
import rehypeStringify from 'rehype-stringify';
import remarkDirective from 'remark-directive';
import remarkFrontmatterPlugin from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import {unified, type PluggableList} from 'unified';
import {VFile} from 'vfile';
import {describe, expect, it} from 'vitest';
import rehypeEmphasisDots from '../../src/2-markdown/rehype-emphasis-dots.js';
import rehypeHeadingIds from '../../src/2-markdown/rehype-heading-ids.js';
import rehypeLocalImages from '../../src/2-markdown/rehype-local-images.js';
import rehypeFootnoteRoles from '../../src/2-markdown/rehype-footnote-roles.js';
import rehypeTables from '../../src/2-markdown/rehype-tables.js';
import rehypeLinks from '../../src/2-markdown/rehype-links.js';
import rehypeUniqueIds from '../../src/2-markdown/rehype-unique-ids.js';
import remarkParagraphLength from '../../src/2-markdown/remark-paragraph-length.js';
import {checkSourceLimits} from '../../src/2-markdown/limits.js';
import remarkChapterHeadings from '../../src/2-markdown/remark-chapter-headings.js';
import remarkCjkLineJoin from '../../src/2-markdown/remark-cjk-line-join.js';
import remarkCommentary from '../../src/2-markdown/remark-commentary.js';
import remarkEditorialQuery from '../../src/2-markdown/remark-editorial-query.js';
import remarkFigure from '../../src/2-markdown/remark-figure.js';
import remarkLiteralDirectives from '../../src/2-markdown/remark-literal-directives.js';
import remarkRefuseHtml from '../../src/2-markdown/remark-refuse-html.js';
import remarkStrayCharacters from '../../src/2-markdown/remark-stray-characters.js';
import {temporaryDirectory} from '../helpers.js';

async function run(markdown: string, remarkPlugins: PluggableList, rehypePlugins: PluggableList = [], filePath = '/manuscript/cases/01.md') {
  const file = new VFile({path: filePath, value: markdown});
  const processor = unified().use(remarkParse).use(remarkGfm).use(remarkDirective).use(remarkPlugins).use(remarkRehype).use(rehypePlugins).use(rehypeStringify);
  const html = String(await processor.process(file));
  const messages = file.messages.map((message) => `${message.line}:${message.column} ${message.fatal ? 'error' : 'warning'} ${message.ruleId}`);
  return {html, messages, file};
}

describe('remark-cjk-line-join', () => {
  it('joins lines between Chinese characters without a space', async () => {
    const {html} = await run('城市发展\n动力，\n“智造”\n的', [remarkCjkLineJoin]);
    expect(html).toBe('<p>城市发展动力，“智造”的</p>');
  });

  it('keeps a word space between Latin words and drops it next to Chinese', async () => {
    const {html} = await run('Version\n2.0 发布\nHGT51F\n点火', [remarkCjkLineJoin]);
    expect(html).toBe('<p>Version 2.0 发布HGT51F点火</p>');
  });

  it('looks across emphasis for the neighbouring character', async () => {
    const {html} = await run('**强调**\n之后 and *this*\nword', [remarkCjkLineJoin]);
    expect(html).toBe('<p><strong>强调</strong>之后 and <em>this</em> word</p>');
  });
});

describe('remark-figure', () => {
  it('makes a marked placeholder and a warning when there is no image', async () => {
    const {html, messages} = await run('正文。\n\n::figure[俯瞰临平经开区]\n', [remarkFigure]);
    expect(html).toContain('<figure class="figure placeholder"><div class="figure-placeholder" role="img" aria-label="图片待补：俯瞰临平经开区">图片待补</div><figcaption>俯瞰临平经开区</figcaption></figure>');
    expect(messages).toEqual(['3:1 warning figure-placeholder']);
  });

  it('makes the placeholder an error in a final build', async () => {
    const {messages} = await run('::figure[说明]', [[remarkFigure, {final: true}]]);
    expect(messages).toEqual(['1:1 error figure-placeholder']);
  });

  it('makes an image with alt text and caption', async () => {
    const {html, messages} = await run('::figure[说明]{src="../images/a.png" alt="一座工厂"}', [remarkFigure]);
    expect(html).toBe('<figure class="figure"><img src="../images/a.png" alt="一座工厂"><figcaption>说明</figcaption></figure>');
    expect(messages).toEqual([]);
  });

  it('reports unknown attributes and a missing caption', async () => {
    const {messages} = await run('::figure{src="a.png" alt="x" width="3"}', [remarkFigure]);
    expect(messages).toEqual(['1:1 error figure-attribute', '1:1 error figure-caption']);
  });
});

describe('remark-commentary', () => {
  it('makes a section signed with affiliation and author', async () => {
    const {html, messages} = await run(':::commentary{author="吕淼" affiliation="研究中心副主任"}\n## 标题\n\n点评。\n:::', [remarkCommentary]);
    expect(html).toBe('<section class="commentary"><h2>标题</h2><p>点评。</p><p class="signature"><span class="affiliation">研究中心副主任</span>\u3000<span class="author">吕淼</span></p></section>');
    expect(messages).toEqual([]);
  });

  it('requires an author', async () => {
    const {messages} = await run(':::commentary\n点评。\n:::', [remarkCommentary]);
    expect(messages).toEqual(['1:1 error commentary-author']);
  });
});

describe('remark-editorial-query', () => {
  it('marks the query in the text and reports it where it is', async () => {
    const {html, messages, file} = await run('是城市发展:query[原文缺失]平经开区', [remarkEditorialQuery]);
    expect(html).toBe('<p>是城市发展<span class="editorial-query" role="note">原文缺失</span>平经开区</p>');
    expect(messages).toEqual(['1:6 warning editorial-query']);
    expect(file.messages[0]!.reason).toBe('editorial query: 原文缺失');
  });

  it('is an error in a final build', async () => {
    const {messages} = await run('甲:query[乙]', [[remarkEditorialQuery, {final: true}]]);
    expect(messages).toEqual(['1:2 error editorial-query']);
  });
});

describe('remark-literal-directives', () => {
  const known = {known: {text: ['query'], block: ['figure']}};

  it('gives back ratios, times and colons before Chinese words as written', async () => {
    const {html, messages} = await run('比例3:1，时间10:30，课题是:如何转', [[remarkLiteralDirectives, known]]);
    expect(html).toBe('<p>比例3:1，时间10:30，课题是:如何转</p>');
    expect(messages).toEqual([]);
  });

  it('prints an unknown directive with brackets as written and warns with a suggestion', async () => {
    const {html, file} = await run('甲:qeury[乙]丙', [[remarkLiteralDirectives, known]]);
    expect(html).toBe('<p>甲:qeury[乙]丙</p>');
    expect(file.messages.map((message) => [message.fatal, message.note])).toEqual([[false, 'Did you mean “query”?']]);
  });

  it('refuses an unknown block directive', async () => {
    const {messages} = await run('::figur[说明]', [[remarkLiteralDirectives, known]]);
    expect(messages).toEqual(['1:1 error unknown-directive']);
  });
});

describe('remark-refuse-html', () => {
  it('reports raw HTML with its position instead of dropping it', async () => {
    const {messages} = await run('正文\n\n<script>alert(1)</script>\n\n文字<b>粗</b>', [remarkRefuseHtml]);
    expect(messages).toEqual(['3:1 error no-raw-html', '5:3 error no-raw-html', '5:7 error no-raw-html']);
  });
});

describe('remark-stray-characters', () => {
  it('removes control characters and a byte-order mark, each reported where it was, columns in characters', async () => {
    const {html, messages} = await run('𡒄𡒄正文\u0007一\uFEFF二\n\n`代码\u0000`[链\u001b接](ab.md "题\u0008目") ![图\u0001](p.png)', [remarkStrayCharacters]);
    expect(html).toBe('<p>𡒄𡒄正文一二</p>\n<p><code>代码</code><a href="ab.md" title="题目">链接</a> <img src="p.png" alt="图"></p>');
    expect(messages).toEqual(['1:5 warning stray-character', '1:7 warning stray-character', '3:4 warning stray-character', '3:8 warning stray-character', '3:20 warning stray-character', '3:28 warning stray-character']);
  });

  it('keeps U+FFFD and the invisible characters layout needs, and reports U+FFFD', async () => {
    const text = '乱码\uFFFD，零宽\u200B空格，连接\u200D符，\u2060，\u00AD，\u200E\u202B\u202C，葛\u{E0100}，e\u0301';
    const {html, messages} = await run(text, [remarkStrayCharacters]);
    expect(html).toBe(`<p>${text}</p>`);
    expect(messages).toEqual(['1:3 warning replacement-character']);
  });

  it('leaves the frontmatter to the YAML reader', async () => {
    const {messages} = await run('---\ntitle: a\u0007\n---\n\n正文\u0007', [[remarkFrontmatterPlugin, ['yaml']], remarkStrayCharacters]);
    expect(messages).toEqual(['5:3 warning stray-character']);
  });
});

describe('remark-chapter-headings', () => {
  it('reserves the level-1 heading for the frontmatter title', async () => {
    const {messages} = await run('# 标题\n\n## 小节', [remarkChapterHeadings]);
    expect(messages).toEqual(['1:1 error heading-level']);
  });

  it('refuses a heading with no text, which would be an empty table-of-contents entry', async () => {
    const {messages} = await run('## 小节\n\n##\n\n### ###\n\n## ![](a.png)', [remarkChapterHeadings]);
    expect(messages).toEqual(['3:1 error empty-heading', '5:1 error empty-heading', '7:1 error empty-heading']);
  });
});

describe('rehype-heading-ids', () => {
  it('numbers section headings with the chapter prefix', async () => {
    const {html} = await run('## 追“新”　从要素驱动\n\n### 下\n\n## 向“智”', [], [[rehypeHeadingIds, {prefix: 'case-01'}]]);
    expect(html).toBe('<h2 id="case-01-s1">追“新”　从要素驱动</h2>\n<h3 id="case-01-s2">下</h3>\n<h2 id="case-01-s3">向“智”</h2>');
  });
});

describe('rehype-emphasis-dots', () => {
  it('marks Chinese emphasis for emphasis dots and leaves Latin emphasis apart', async () => {
    const {html} = await run('*强调*与*word*', [], [rehypeEmphasisDots]);
    expect(html).toBe('<p><em class="emphasis-dots">强调</em>与<em class="emphasis-latin">word</em></p>');
  });
});

describe('rehype-tables', () => {
  it('says that header-row cells head columns, and turns alignment into a class', async () => {
    const {html} = await run('| 指标 | 数值 |\n| --- | ---: |\n| 增长 | 6.4% |', [], [rehypeTables]);
    expect(html).toContain('<th scope="col">指标</th>');
    expect(html).toContain('<th scope="col" class="align-right">数值</th>');
    expect(html).toContain('<td>增长</td>');
    expect(html).toContain('<td class="align-right">6.4%</td>');
  });
});

describe('rehype-footnote-roles', () => {
  it('gives footnote references, notes and back-links their DPUB-ARIA roles', async () => {
    const {html} = await run('正文[^1]。\n\n[^1]: 注。', [], [rehypeFootnoteRoles]);
    expect(html).toMatch(/<a [^>]*data-footnote-ref[^>]*role="doc-noteref"/);
    expect(html).toMatch(/<section [^>]*data-footnotes[^>]*role="doc-endnotes"/);
    expect(html).toMatch(/<a [^>]*data-footnote-backref[^>]*role="doc-backlink"/);
  });
});

describe('rehype-links', () => {
  const chapters = new Map([['/manuscript/cases/01.md', 'case-01'], ['/manuscript/cases/02.md', 'case-02']]);

  it('keeps web links, points chapter files at their chapters, checks anchors', async () => {
    const {html, messages} = await run('[网](https://example.com) [邮](mailto:a@b.cn) [下一篇](02.md) [注][^1] [节](#case-01-s1)\n\n## 节\n\n[^1]: 注。', [], [[rehypeHeadingIds, {prefix: 'case-01'}], [rehypeLinks, {chapters}]]);
    expect(messages).toEqual([]);
    expect(html).toContain('<a href="https://example.com">网</a>');
    expect(html).toContain('<a href="#case-02">下一篇</a>');
  });

  it('refuses scripts, data, files that are not chapters, and anchors that do not exist', async () => {
    const {messages} = await run('[a](javascript:alert(1)) [b](data:text/html,x) [c](../images/a.png) [d](#nowhere) [e](02.md#s1) [f](//evil.example)', [], [[rehypeLinks, {chapters}]]);
    expect(messages).toEqual(['1:1 error link', '1:26 error link', '1:48 error link', '1:69 error link', '1:83 error link', '1:97 error link']);
  });
});

describe('rehype-unique-ids', () => {
  it('prefixes the ids editors give with the chapter id, and the links to them', async () => {
    const {html, messages} = await run('::figure[图]{#fig1}\n\n见[图一](#fig1)。\n\n::figure[图二]{#fig1}', [remarkFigure], [[rehypeUniqueIds, {prefix: 'case-01'}]]);
    expect(html).toContain('<figure class="figure placeholder" id="case-01-fig1">');
    expect(html).toContain('<a href="#case-01-fig1">图一</a>');
    expect(messages.filter((message) => message.includes('duplicate-id'))).toEqual(['5:1 error duplicate-id']);
  });

  it('keeps the ARIA references of footnotes pointing at their targets', async () => {
    const {html} = await run('正文[^1]。\n\n[^1]: 注。', [], [[rehypeUniqueIds, {prefix: 'case-01'}]]);
    const described = /aria-describedby="([^"]+)"/.exec(html)![1];
    expect(html).toContain(`id="${described}"`);
  });
});

describe('limits', () => {
  it('refuses what would make the parser take minutes, before parsing, with the line', () => {
    const file = new VFile({path: '/m/cases/01.md', value: `正文\n\n${'> '.repeat(10_000)}深\n\n${'*'.repeat(20_000)}a\n`});
    expect(checkSourceLimits(file)).toBe(false);
    expect(file.messages.map((message) => `${message.line}:${message.column} ${message.ruleId}`)).toEqual(['3:1 nesting-limit', '5:1 run-limit']);
  });

  it('lets ordinary Markdown through', () => {
    const file = new VFile({path: '/m/cases/01.md', value: '> 引文\n>\n> - 列表\n>   - 二级\n\n**粗**与*斜*\n\n:::commentary{author="甲"}\n点评\n:::\n'});
    expect(checkSourceLimits(file)).toBe(true);
  });
});

describe('remark-paragraph-length', () => {
  it('warns about very long paragraphs and refuses absurd ones', async () => {
    const {messages} = await run(`${'字'.repeat(2_000)}\n\n${'字'.repeat(100_001)}`, [remarkParagraphLength]);
    expect(messages).toEqual(['1:1 warning paragraph-length', '3:1 error paragraph-length']);
  });
});

describe('rehype-local-images', () => {
  // A 1×1 PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

  async function manuscript() {
    const root = await temporaryDirectory('images');
    await mkdir(path.join(root, 'cases'));
    await mkdir(path.join(root, 'images'));
    await writeFile(path.join(root, 'images/dot.png'), png);
    await writeFile(path.join(root, 'images/fake.jpg'), 'not an image');
    return root;
  }

  it('resolves, checks and renames a local image', async () => {
    const root = await manuscript();
    const {html, messages, file} = await run('![点](../images/dot.png)', [], [[rehypeLocalImages, {root}]], path.join(root, 'cases/01.md'));
    expect(messages).toEqual([]);
    expect(file.data.images).toHaveLength(1);
    const [image] = file.data.images!;
    expect(image).toMatchObject({mediaType: 'image/png', width: 1, height: 1});
    expect(html).toBe(`<p><img src="images/${image!.name}" alt="点" width="1" height="1"></p>`);
  });

  it('refuses missing files, non-images, URLs and paths that leave the manuscript', async () => {
    const root = await manuscript();
    await symlink('/etc/hostname', path.join(root, 'images/link.png'));
    const markdown = ['![](../images/none.png)', '![](../images/fake.jpg)', '![](https://example.com/a.png)', '![](../../outside.png)', '![](../images/link.png)'].join('\n\n');
    const {file} = await run(markdown, [], [[rehypeLocalImages, {root}]], path.join(root, 'cases/01.md'));
    expect(file.messages.map((message) => `${message.line}:${message.column} ${message.fatal ? 'error' : 'warning'} ${message.reason.replace(/ \(.*/, '')}`)).toEqual([
      '1:1 error image “../images/none.png” does not exist',
      '3:1 error “../images/fake.jpg” is not a JPEG, PNG or GIF image',
      '5:1 error image “https://example.com/a.png” is a URL: the build never downloads anything',
      '7:1 error image “../../outside.png” does not exist',
      '9:1 error image “../images/link.png” is outside the manuscript folder',
    ]);
  });
});
