// The preview page, rendered by the server for the state it is in: the last build's errors (escaped,
// as the command line prints them) and warnings (collapsed), then the last good book, whose pages the
// browser draws from the screen PDF with pdf.js (client/preview.js).

export interface PageState {
  /** Changes with every finished build; the page reloads when the server's differs. */
  version: string;
  building: boolean;
  /** The last finished build; undefined before the first one ends. */
  last?: {
    ok: boolean;
    finishedAt: Date;
    seconds: number;
    /** `path:line:col: error: message [rule]` lines (and hints), as the CLI prints them. */
    errors: string;
    errorCount: number;
    warnings: string;
    warningCount: number;
  };
  /** The last good book. */
  good?: {
    title: string;
    finishedAt: Date;
    seconds: number;
    pages: number;
    /** URLs of the outputs. */
    links: {html: string; screenPdf?: string; printPdf?: string; epub: string};
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const time = (date: Date) => date.toTimeString().slice(0, 8);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function renderPage(state: PageState): string {
  const {last, good} = state;
  const title = good ? `${good.title} — preview` : 'Preview';
  let status: string;
  if (state.building) status = good || last ? 'Rebuilding…' : 'Building the book…';
  else if (!last) status = 'Waiting for the first build…';
  else if (last.ok) status = `Built at ${time(last.finishedAt)} in ${last.seconds.toFixed(1)} s · ${plural(good?.pages ?? 0, 'page')}`;
  else status = `Build failed at ${time(last.finishedAt)}`;

  const downloads = good
    ? [
        link(good.links.html, 'HTML', false),
        good.links.screenPdf ? link(good.links.screenPdf, 'Screen PDF', true) : '',
        good.links.printPdf ? link(good.links.printPdf, 'Print PDF', true) : '',
        link(good.links.epub, 'EPUB', true),
      ].filter(Boolean).join('\n        ')
    : '';

  const problems = last && !last.ok
    ? `
    <section id="problems" class="problems" aria-labelledby="problems-title">
      <h2 id="problems-title">The book was not built: ${plural(last.errorCount, 'error')}</h2>
      <pre id="errors">${escapeHtml(last.errors)}</pre>
      <p class="note">${good ? `Below: the last good build, from ${time(good.finishedAt)}.` : 'There is no good build to show yet.'} Save a fix and the page reloads.</p>
    </section>`
    : '';

  const warnings = last && last.warningCount > 0
    ? `
    <details id="warnings" class="warnings">
      <summary>${plural(last.warningCount, 'warning')}</summary>
      <pre>${escapeHtml(last.warnings)}</pre>
    </details>`
    : '';

  const book = good?.links.screenPdf
    ? `
    <main id="book" class="book" data-pdf="${escapeHtml(good.links.screenPdf)}" aria-label="The book’s pages">
      <p class="loading">Drawing the pages…</p>
    </main>`
    : !last || state.building
      ? `
    <main id="book" class="book empty"><p class="loading">The book is being built; this page shows it when it is ready.</p></main>`
      : '';

  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/_dev/preview.css">
  <script type="module" src="/_dev/preview.js"></script>
</head>
<body data-version="${escapeHtml(state.version)}" data-building="${state.building}" class="spreads">
  <header class="bar">
    <strong class="title">${escapeHtml(good?.title ?? 'Preview')}</strong>
    <span id="status" class="status${last && !last.ok ? ' failed' : ''}" role="status" aria-live="polite">${escapeHtml(status)}</span>
    <nav class="downloads" aria-label="Downloads">
        ${downloads}
    </nav>
    ${good ? '<label class="toggle"><input type="checkbox" id="spreads" checked> Spreads</label>' : ''}
  </header>${problems}${warnings}${book}
</body>
</html>
`;
}

function link(href: string, label: string, download: boolean): string {
  return `<a href="${escapeHtml(href)}"${download ? ' download' : ' target="_blank" rel="noopener"'}>${escapeHtml(label)}</a>`;
}
