#!/usr/bin/python3
"""The fallback faces of the book (docs/fonts.md), made from Debian's font packages by `npm run setup`.

The npm faces (styles/fonts.yaml) set the common characters; these files set the rest: every character
of the 通用规范汉字表, the CJK Unified Ideographs block and Extensions A–F, most of G and H, the Roman
numerals. Chromium embeds only TrueType outlines cleanly (CFF and variable fonts become Type 3), so
Noto CJK's CFF faces are converted to TrueType here, once, with fontTools' cu2qu (max error 1 unit in
1000, invisible at any size). BabelStone Han is cut down to what the faces before it lack: harfbuzz's
WebAssembly subsetter has 65 MB of memory, and the 51 MB original gave it truncated subsets.

    make-fonts.py --check OUT        exit 0 when OUT holds what this script makes (same recipe)
    make-fonts.py DEBROOT OUT        DEBROOT: the packages below unpacked (dpkg-deb -x) into one folder
"""
import gzip
import hashlib
import json
import os
import shutil
import sys
import time
from multiprocessing import Pool

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

PACKAGES = ['fonts-noto-cjk', 'fonts-hanazono', 'fonts-babelstone-han', 'fonts-lxgw-wenkai']
NOTO = 'usr/share/fonts/opentype/noto'
CONVERTED = [  # output, collection, face in it
    ('NotoSerifCJKsc-Regular.ttf', f'{NOTO}/NotoSerifCJK-Regular.ttc', 'NotoSerifCJKsc-Regular'),
    ('NotoSerifCJKsc-Bold.ttf', f'{NOTO}/NotoSerifCJK-Bold.ttc', 'NotoSerifCJKsc-Bold'),
    ('NotoSansCJKsc-Regular.ttf', f'{NOTO}/NotoSansCJK-Regular.ttc', 'NotoSansCJKsc-Regular'),
    ('NotoSansCJKsc-Bold.ttf', f'{NOTO}/NotoSansCJK-Bold.ttc', 'NotoSansCJKsc-Bold'),
]
COPIED = [  # already TrueType
    ('HanaMinB.ttf', 'usr/share/fonts/truetype/hanazono/HanaMinB.ttf'),
    ('LXGWWenKai-Regular.ttf', 'usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf'),
    ('LXGWWenKai-Bold.ttf', 'usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Bold.ttf'),
]
BABELSTONE = ('BabelStoneHan-Extra.ttf', 'usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf')
# BabelStone comes after these in every chain of styles/fonts.yaml: it keeps only what they lack.
BABELSTONE_AFTER = ['NotoSerifCJKsc-Regular.ttf', 'HanaMinB.ttf']
OUTPUTS = [name for name, *_ in CONVERTED + COPIED] + [BABELSTONE[0]]
MANIFEST = 'manifest.json'


def recipe() -> str:
    with open(__file__, 'rb') as script:
        return hashlib.sha256(script.read()).hexdigest()


def is_made(out: str) -> bool:
    try:
        with open(os.path.join(out, MANIFEST), encoding='utf-8') as file:
            manifest = json.load(file)
    except (OSError, ValueError):
        return False
    return manifest.get('recipe') == recipe() and all(
        os.path.getsize(os.path.join(out, name)) == size if os.path.exists(os.path.join(out, name)) else False
        for name, size in manifest.get('sizes', {}).items()
    ) and set(manifest.get('sizes', {})) == set(OUTPUTS)


def to_truetype(job):
    """One face of a CFF collection as a TrueType font: same glyphs, metrics and layout tables."""
    output, collection, face_name, debroot, out = job
    started = time.time()
    path = os.path.join(debroot, collection)
    names = [face['name'].getDebugName(6) for face in TTCollection(path, lazy=True).fonts]
    font = TTFont(path, fontNumber=names.index(face_name), lazy=False)
    # Only what the SC face reaches: the collection's glyphs for Japanese, Korean and traditional forms
    # (`locl`) and the catalogue of alternates (`aalt`, which no browser applies) made harfbuzz's subsets
    # of the whole face ten times slower, at every build that needs this file.
    features = {record.FeatureTag for tag in ('GSUB', 'GPOS') if tag in font for record in font[tag].table.FeatureList.FeatureRecord}
    options = subset.Options()
    options.layout_features = sorted(features - {'aalt', 'locl'})
    options.layout_scripts = ['*']
    options.name_IDs = ['*']
    options.name_languages = ['*']
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable('glyf')
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        # CFF contours run counter-clockwise, TrueType's clockwise.
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font['glyf'] = glyf
    font['loca'] = newTable('loca')
    del font['CFF ']
    if 'VORG' in font:  # CFF-only; TrueType takes vertical origins from vmtx and the outlines
        del font['VORG']
    maxp = font['maxp']
    maxp.tableVersion = 0x00010000
    for field in ('maxZones', 'maxTwilightPoints', 'maxStorage', 'maxFunctionDefs', 'maxInstructionDefs',
                  'maxStackElements', 'maxSizeOfInstructions', 'maxComponentElements', 'maxComponentDepth'):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font['head'].glyphDataFormat = 0
    post = font['post']
    post.formatType = 3.0  # no glyph names: 65,535 of them would only add weight
    post.extraNames, post.mapping = [], {}
    font.sfntVersion = '\x00\x01\x00\x00'
    font.save(os.path.join(out, output))
    return f'{output}: {len(order)} glyphs made TrueType in {time.time() - started:.0f} s'


def babelstone_extra(debroot: str, out: str) -> str:
    started = time.time()
    before = set()
    for name in BABELSTONE_AFTER:
        before.update(TTFont(os.path.join(out, name), lazy=True).getBestCmap())
    font = TTFont(os.path.join(debroot, BABELSTONE[1]))
    wanted = [code for code in font.getBestCmap() if code not in before]
    options = subset.Options()
    options.layout_features = ['*']
    options.name_IDs = ['*']
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    font.save(os.path.join(out, BABELSTONE[0]))
    return f'{BABELSTONE[0]}: {len(wanted)} characters the faces before it lack, in {time.time() - started:.0f} s'


def make(debroot: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    for name in OUTPUTS + [MANIFEST]:
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    for output, source in COPIED:
        shutil.copyfile(os.path.join(debroot, source), os.path.join(out, output))
    # Two at a time: the machine may have two cores, and each conversion holds about 1.5 GB.
    with Pool(2) as pool:
        for line in pool.imap_unordered(to_truetype, [(*face, debroot, out) for face in CONVERTED]):
            print(f'setup: {line}', flush=True)
    print(f'setup: {babelstone_extra(debroot, out)}', flush=True)
    manifest = {
        'recipe': recipe(),
        'packages': versions(debroot),
        'sizes': {name: os.path.getsize(os.path.join(out, name)) for name in OUTPUTS},
    }
    with open(os.path.join(out, MANIFEST), 'w', encoding='utf-8') as file:
        json.dump(manifest, file, indent=2)
        file.write('\n')


def versions(debroot: str) -> dict:
    """The packages' versions, as dpkg-deb left them in the unpacked tree's changelogs."""
    found = {}
    for package in PACKAGES:
        changelog = os.path.join(debroot, 'usr/share/doc', package, 'changelog.Debian.gz')
        if os.path.exists(changelog):
            with gzip.open(changelog, 'rt', encoding='utf-8') as file:
                found[package] = file.readline().split('(', 1)[1].split(')', 1)[0]
    return found


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        sys.exit(0 if is_made(sys.argv[2]) else 1)
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    make(sys.argv[1], sys.argv[2])
