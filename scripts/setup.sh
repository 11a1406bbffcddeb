#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs to build and test the book, nothing by hand:
#   chromium      prints the PDF (puppeteer never downloads a browser here, see .puppeteerrc.cjs)
#   epubcheck     checks the EPUB (runs on Java)
#   poppler-utils pdffonts/pdftotext, the print houses' own checks, used by the tests
#   python3-fonttools  makes the fonts for rare characters (below)
# then the npm packages, exactly as locked, and the fonts for the characters the npm faces lack
# (docs/fonts.md): Debian's font packages, unpacked (never installed, so that Chromium cannot fall back
# on them as system fonts) and made into TrueType files in fonts/ by scripts/make-fonts.py, once.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [ -z "${PUPPETEER_EXECUTABLE_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
[ -f /usr/share/java/epubcheck.jar ] || missing+=(epubcheck)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)
/usr/bin/python3 -c 'import fontTools' >/dev/null 2>&1 || missing+=(python3-fonttools)

if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else sudo=(false); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  if [ "${sudo[*]}" = false ]; then
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "setup: installing npm packages"
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund

font_packages=(fonts-noto-cjk fonts-hanazono fonts-babelstone-han fonts-lxgw-wenkai)
if ! /usr/bin/python3 scripts/make-fonts.py --check fonts; then
  echo "setup: making the fonts for rare characters from ${font_packages[*]} (a few minutes, once)"
  debs=$(mktemp -d)
  trap 'rm -rf "$debs"' EXIT
  chmod a+rwx "$debs"  # apt fetches as its own user
  if ! (cd "$debs" && apt-get download -qq "${font_packages[@]}" 2>/dev/null); then
    "${sudo[@]}" apt-get update -qq
    (cd "$debs" && apt-get download -qq "${font_packages[@]}")
  fi
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$debs/root"; done
  /usr/bin/python3 scripts/make-fonts.py "$debs/root" fonts
fi
