// Puppeteer must never download a browser here: the build uses Debian's chromium
// (or PUPPETEER_EXECUTABLE_PATH). This also covers @daisy/ace-cli's puppeteer.
module.exports = { skipDownload: true };
