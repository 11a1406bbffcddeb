// One Chromium per build (a launch costs ~0.3 s), Debian's or the one PUPPETEER_EXECUTABLE_PATH names.
// Pages load only the files of this build: every other request is refused, so no text, font or image
// can come from the network or from elsewhere on the disk.
import {access, constants} from 'node:fs/promises';
import path from 'node:path';
import puppeteer, {ProtocolError, TimeoutError, type Browser, type Page} from 'puppeteer-core';
import {isInside} from '../files.js';

export class BrowserUnavailableError extends Error {}

/** Chromium crashed, was killed, or hung past its time limit: the build cannot go on. */
export class ChromiumFailedError extends Error {}

/** Turns what puppeteer throws when Chromium goes away or hangs into one clear error. */
export function explainChromiumFailure(error: unknown, browser: Browser | undefined): unknown {
  if (error instanceof TimeoutError) return new ChromiumFailedError(`Chromium did not finish in time (${error.message}); it may be stuck on this book`);
  if (error instanceof ProtocolError || (browser && !browser.connected)) {
    return new ChromiumFailedError('Chromium stopped while working on the book (it crashed or was killed)');
  }
  return error;
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

async function findChromium(): Promise<string> {
  const configured = process.env.PUPPETEER_EXECUTABLE_PATH;
  for (const candidate of configured ? [configured] : CANDIDATES) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new BrowserUnavailableError(configured
    ? `PUPPETEER_EXECUTABLE_PATH is ${configured}, which is not an executable file`
    : 'Chromium was not found. Install it (Debian/Ubuntu: apt-get install chromium) or set PUPPETEER_EXECUTABLE_PATH to a Chromium or Chrome binary.');
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await findChromium();
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Spoken to over a pipe rather than a socket: when this process ends, however it ends (even by
    // SIGKILL), the pipe closes and Chromium quits with its helpers (measured: none left 2 s after a
    // kill -9 of the build; over a socket, all ten stayed). Signals are the command line's to handle.
    pipe: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    // A hung renderer must end the build with an error, not block it for ever.
    protocolTimeout: 10 * 60_000,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--no-first-run',
      '--no-default-browser-check',
      '--mute-audio',
      '--font-render-hinting=none',
      // Headless Chromium still preloads the address bar's two pop-ups as web pages: 0.8 s of CPU at
      // every start (1.4–1.6 s with them, 0.6–0.7 s without), taken from the Markdown on the other core.
      '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    ],
  }).catch((error: Error) => {
    throw new ChromiumFailedError(`Chromium (${executablePath}) could not be started: ${error.message.split('\n')[0]}`);
  });
}

export interface ConfinedPage {
  page: Page;
  /** The requests it refused. */
  refused: string[];
}

/**
 * A page that may load only files inside `folder`, with the page's own JavaScript off (the build's
 * measurements run through DevTools, which still works). `first`: the blank tab Chromium starts with,
 * whose renderer is running already, rather than a new one.
 */
export async function openConfinedPage(browser: Browser, folder: string, options: {first?: boolean} = {}): Promise<ConfinedPage> {
  const page = (options.first ? (await browser.pages())[0] : undefined) ?? (await browser.newPage());
  await page.setJavaScriptEnabled(false);
  const refused: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('file://') && isInside(folder, path.normalize(decodeURIComponent(new URL(url).pathname)))) {
      void request.continue();
    } else {
      if (!url.startsWith('data:')) refused.push(url);
      void request.abort('blockedbyclient');
    }
  });
  return {page, refused};
}
