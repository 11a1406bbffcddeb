// The preview page's script: draws the pages of the built screen PDF with pdf.js (a canvas per page,
// drawn as it scrolls into view, and a text layer), and reloads the page when the server reports a new
// build (Server-Sent Events on /events), keeping the reader's place.
import * as pdfjs from '/pdfjs/pdf.mjs';

pdfjs.GlobalWorkerOptions.workerSrc = '/pdfjs/pdf.worker.mjs';

const version = document.body.dataset.version;
const status = document.getElementById('status');
const SCROLL_KEY = 'hangzhou-dev-scroll';

// --- Live reload -------------------------------------------------------------------------------------

function reload() {
  sessionStorage.setItem(SCROLL_KEY, JSON.stringify({x: window.scrollX, y: window.scrollY}));
  window.location.reload();
}

function showBuilding(stage) {
  document.body.dataset.building = 'true';
  if (status) status.textContent = `Rebuilding…${stage ? ` (${stage})` : ''}`;
}

const events = new EventSource('/events');
events.addEventListener('hello', (event) => {
  const data = JSON.parse(event.data);
  // A build finished while this page loaded or while the connection was down.
  if (data.version !== version) reload();
  else if (data.building) showBuilding(data.stage);
});
events.addEventListener('building', () => showBuilding(''));
events.addEventListener('stage', (event) => showBuilding(JSON.parse(event.data).stage));
events.addEventListener('reload', (event) => {
  if (JSON.parse(event.data).version !== version) reload();
});

// --- Spreads or single pages ---------------------------------------------------------------------------

const spreads = document.getElementById('spreads');
if (spreads) {
  spreads.checked = localStorage.getItem('hangzhou-dev-spreads') !== 'false';
  document.body.classList.toggle('spreads', spreads.checked);
  spreads.addEventListener('change', () => {
    localStorage.setItem('hangzhou-dev-spreads', String(spreads.checked));
    document.body.classList.toggle('spreads', spreads.checked);
  });
}

// --- The pages -----------------------------------------------------------------------------------------

const book = document.getElementById('book');
if (book?.dataset.pdf) {
  renderBook(book, book.dataset.pdf).catch((error) => {
    book.dataset.error = String(error?.message ?? error);
    const message = document.createElement('p');
    message.className = 'render-error';
    message.textContent = `The pages could not be drawn: ${error?.message ?? error}`;
    book.replaceChildren(message);
  });
}

async function renderBook(container, url) {
  const response = await fetch(url, {cache: 'no-store'});
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const data = new Uint8Array(await response.arrayBuffer());
  const pdf = await pdfjs.getDocument({data, isEvalSupported: false, enableXfa: false}).promise;
  const labels = (await pdf.getPageLabels()) ?? [];
  const pages = [];
  for (let number = 1; number <= pdf.numPages; number++) pages.push(await pdf.getPage(number));

  // Two pages side by side fit the window; never larger than the printed size (at 96 dpi).
  const first = pages[0].getViewport({scale: 1});
  const available = Math.max(320, container.clientWidth - 64);
  const scale = Math.min(96 / 72, Math.max(0.4, available / (2 * first.width + 24)));

  // Page 1 is a recto: it stands alone on the right, then versos face rectos.
  const spreadsOf = [];
  for (let index = -1; index < pages.length; index += 2) spreadsOf.push([index, index + 1]);
  const fragment = document.createDocumentFragment();
  const elements = [];
  for (const pair of spreadsOf) {
    const spread = document.createElement('div');
    spread.className = 'spread';
    for (const index of pair) {
      if (index < 0 || index >= pages.length) {
        const slot = document.createElement('div');
        slot.className = 'slot';
        slot.style.width = `${first.width * scale}px`;
        spread.append(slot);
        continue;
      }
      const page = pages[index];
      const viewport = page.getViewport({scale});
      const label = labels[index] || String(index + 1);
      const element = document.createElement('section');
      element.className = `page ${index % 2 === 0 ? 'recto' : 'verso'}`;
      element.dataset.pageNumber = String(index + 1);
      element.dataset.pageLabel = label;
      element.setAttribute('aria-label', `Page ${label}`);
      element.style.width = `${viewport.width}px`;
      element.style.height = `${viewport.height}px`;
      element.style.setProperty('--scale-factor', String(viewport.scale));
      const caption = document.createElement('span');
      caption.className = 'folio';
      caption.textContent = label;
      caption.setAttribute('aria-hidden', 'true');
      element.append(caption);
      spread.append(element);
      elements.push({element, page, viewport});
    }
    fragment.append(spread);
  }
  container.replaceChildren(fragment);
  container.dataset.pages = String(pages.length);
  restoreScroll();

  // The text of every page at once (cheap), the drawing of each as it nears the window.
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      const item = elements.find((candidate) => candidate.element === entry.target);
      if (item) void draw(item);
    }
  }, {rootMargin: '100% 0px'});
  for (const item of elements) {
    const content = await item.page.getTextContent();
    item.content = content;
    item.element.dataset.pageText = content.items.map((part) => (part.str ?? '') + (part.hasEOL ? '\n' : '')).join('');
    observer.observe(item.element);
  }
  container.dataset.ready = 'true';
}

async function draw({element, page, viewport, content}) {
  const ratio = window.devicePixelRatio || 1;
  const canvas = document.createElement('canvas');
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${viewport.width}px`;
  canvas.style.height = `${viewport.height}px`;
  canvas.setAttribute('aria-hidden', 'true');
  element.prepend(canvas);
  await page.render({
    canvasContext: canvas.getContext('2d'),
    viewport,
    transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0],
  }).promise;
  const layer = document.createElement('div');
  layer.className = 'textLayer';
  element.append(layer);
  await new pdfjs.TextLayer({textContentSource: content ?? (await page.getTextContent()), container: layer, viewport}).render();
  element.dataset.drawn = 'true';
}

function restoreScroll() {
  const saved = sessionStorage.getItem(SCROLL_KEY);
  if (!saved) return;
  sessionStorage.removeItem(SCROLL_KEY);
  try {
    const {x, y} = JSON.parse(saved);
    window.scrollTo(x, y);
  } catch {
    // A stale value: stay at the top.
  }
}
