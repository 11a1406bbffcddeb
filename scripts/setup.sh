#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs to build and test the book, nothing by hand:
#   chromium      prints the PDF (puppeteer never downloads a browser here, see .puppeteerrc.cjs)
#   epubcheck     checks the EPUB (runs on Java)
#   poppler-utils pdffonts/pdftotext, the print houses' own checks, used by the tests
# then the npm packages, exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [ -z "${PUPPETEER_EXECUTABLE_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
[ -f /usr/share/java/epubcheck.jar ] || missing+=(epubcheck)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "setup: installing npm packages"
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
