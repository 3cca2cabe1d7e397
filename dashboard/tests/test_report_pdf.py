"""The monthly report in Chinese renders Chinese: every page converts to an image, each
CJK character of the text layer is drawn where it stands, different characters look
different (a missing font draws every one as the same box, "tofu"), and the fonts that
draw them travel inside the file with a glyph for each."""

import ctypes
import datetime as dt
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django.utils import translation
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.reports import care_report, report_of
from dashboard.services.report_files import report_pdf
from dashboard.tests.factories import campaign, event, year_of_months

pytestmark = pytest.mark.django_db

SCALE = 4  # pixels per PDF point: a 9 pt character is ~36 px high
SIDE = 24  # glyph bitmaps are compared at 24 × 24 px
# Two different characters differ in over a hundred of the 576 pixels; one glyph drawn
# at two places in a few dozen at most (anti-aliasing falls differently) — as would the
# same "tofu" box standing in for two characters.
DIFFERENT = 64
NAMES = ["华东销售部", "春节关怀短信", "沉睡客户唤醒", "客户答谢晚宴", "新品品鉴会"]
NAME_CHARACTERS = set("".join(NAMES))


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def font_of(textpage, index: int):
    return pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage, index))


def font_name(font) -> str:
    size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
    return buffer.value.decode()


def font_program(font) -> TTFont:
    """The embedded font file, as fontTools reads it."""
    length = ctypes.c_size_t()
    pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(length))
    buffer = (ctypes.c_uint8 * length.value)()
    pdfium_c.FPDFFont_GetFontData(font, buffer, length.value, ctypes.byref(length))
    return TTFont(io.BytesIO(bytes(buffer)))


def glyph_bitmap(image: Image.Image, page_height: float, box) -> Image.Image:
    """The character's glyph box cut from the page, trimmed to its ink, as black and
    white at SIDE × SIDE — so where on the page it stood, and in what colour, no longer
    matters. (A missing
    glyph's box is the same for every character, so "tofu" still looks all alike.)"""
    left, bottom, right, top = box
    crop = image.crop(
        (
            int(left * SCALE),
            int((page_height - top) * SCALE),
            int(right * SCALE) + 1,
            int((page_height - bottom) * SCALE) + 1,
        )
    )
    # Ink is what is darker than halfway between the paper and the darkest stroke, so a
    # character in a coloured badge or on a shaded header cell keeps all its strokes.
    darkest, lightest = crop.getextrema()
    cut = (darkest + lightest) / 2
    ink = crop.point(lambda value: 255 if value < cut else 0)
    bounds = ink.getbbox()
    assert bounds is not None, "a character printed nothing"
    return ink.crop(bounds).resize((SIDE, SIDE)).point(lambda v: 255 if v >= 128 else 0)


def difference(one: Image.Image, other: Image.Image) -> int:
    """Pixels that differ between two black-and-white bitmaps of the same size."""
    return SIDE * SIDE - ImageChops.difference(one, other).histogram()[0]


def glyph_is_drawn(program: TTFont, char: str) -> bool:
    """The font maps ``char`` to a glyph of its own (not .notdef) with an outline."""
    glyph = program.getBestCmap().get(ord(char))
    if glyph in (None, ".notdef"):
        return False
    pen = BoundsPen(program.getGlyphSet())
    program.getGlyphSet()[glyph].draw(pen)
    return pen.bounds is not None


def read_pdf(data: bytes) -> tuple[str, list[dict]]:
    """The text layer, and every CJK character on every page: the character, its font
    (name, whether embedded, whether its embedded program draws it) and its bitmap."""
    text, found, programs = [], [], {}
    document = pdfium.PdfDocument(data)
    assert len(document) >= 1
    for page in document:
        image = page.render(scale=SCALE, grayscale=True).to_pil().convert("L")
        textpage = page.get_textpage()
        text.append(textpage.get_text_range())
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if not is_cjk(char):
                continue
            font = font_of(textpage, index)
            name = font_name(font)
            embedded = pdfium_c.FPDFFont_GetIsEmbedded(font) == 1
            if embedded and name not in programs:
                programs[name] = font_program(font)
            found.append(
                {
                    "char": char,
                    "font_name": name,
                    "embedded": embedded,
                    "has_glyph": embedded and glyph_is_drawn(programs[name], char),
                    "size": round(pdfium_c.FPDFText_GetFontSize(textpage, index), 1),
                    "bitmap": glyph_bitmap(image, page.get_height(), textpage.get_charbox(index)),
                }
            )
    return "\n".join(text), found


@pytest.fixture
def chinese_report(department_a, manager_a):
    period = Period.month(dt.date(2026, 11, 1))
    report = care_report(DashboardScope(manager_a), period)
    report.figures.campaigns = [
        campaign(1, NAMES[1], converted=9, delivered=200),
        campaign(2, NAMES[2], converted=4, delivered=800),
    ]
    report.figures.events = [
        event(3, NAMES[3], spent="46200.00"),
        event(4, NAMES[4], spent="5200.00"),
    ]
    report.figures.series = year_of_months(period.start)
    with translation.override("zh-hans"):
        return report_pdf(report_of(report.figures), language="zh-hans")


def test_chinese_characters_render_as_themselves_not_as_boxes(chinese_report):
    text, characters = read_pdf(chinese_report)
    for name in NAMES:
        assert name in text, name
    assert "2026年11月" in text  # the period, in Chinese date format

    # one bitmap per character, font and size: the first place it is drawn
    first: dict[tuple[str, str, float], Image.Image] = {}
    for found in characters:
        first.setdefault((found["char"], found["font_name"], found["size"]), found["bitmap"])
    assert len({char for char, _font, _size in first}) >= 20
    keys = sorted(first)
    for i, (char, font, size) in enumerate(keys):
        alike = [
            other
            for other, other_font, other_size in keys[i + 1 :]
            if (other_font, other_size) == (font, size)
            and other != char
            and difference(first[(char, font, size)], first[(other, font, size)]) < DIFFERENT
        ]
        # The names chosen for this report share no look-alike pair; among the rest of
        # the text a pair such as 己/已 may come close, but never three characters at once.
        if char in NAME_CHARACTERS:
            alike_names = [other for other in alike if other in NAME_CHARACTERS]
            assert alike_names == [], f"{char} prints like {alike_names} in {font} {size} pt"
        assert len(alike) <= 1, f"{char} prints like {alike} in {font} {size} pt"
    # and the same character looks like itself wherever it is drawn: of all the characters
    # in its font and size, its own first drawing is the nearest (a pixel grid shifted by a
    # fraction of a point moves an edge or two, never more than to another character)
    for found in characters:
        font, size = found["font_name"], found["size"]
        distances = {
            char: difference(found["bitmap"], bitmap)
            for (char, other_font, other_size), bitmap in first.items()
            if (other_font, other_size) == (font, size)
        }
        nearest = min(distances.values())
        assert distances[found["char"]] == nearest, (found["char"], distances[found["char"]])


def test_the_fonts_inside_the_file_have_a_glyph_for_every_character(chinese_report):
    _text, characters = read_pdf(chinese_report)
    assert characters
    for found in characters:
        where = f"{found['char']} in {found['font_name']}"
        assert "CJK" in found["font_name"], where
        assert found["embedded"], f"not embedded: {where}"
        assert found["has_glyph"], f"no glyph: {where}"
