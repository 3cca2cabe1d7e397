"""PDF reports print Chinese as Chinese on any reader — the Noto CJK font travels inside the
file — and never reach out to an address found in the text they print."""

import http.server
import io
import threading

import pypdf
import pypdfium2
import pytest

from carecrm.pdf import render_pdf


@pytest.fixture
def pdf_template(tmp_path, settings):
    folder = tmp_path / "pdf"
    folder.mkdir()
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}
    ]

    def write(body: str) -> str:
        (folder / "probe.html").write_text(
            '{% extends "pdf/base.html" %}{% block content %}' + body + "{% endblock %}"
        )
        return "pdf/probe.html"

    return write


def test_chinese_text_is_embedded_and_extractable(pdf_template):
    data = render_pdf(pdf_template("<h1>活动预算</h1><p>合计 ¥46,200.00</p>"), {})
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert "活动预算" in page.extract_text()
    assert "¥46,200.00" in page.extract_text()
    fonts = [str(font["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]
    assert any("CJK" in name for name in fonts), fonts
    descendants = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert all("/DescendantFonts" in font or "/FontDescriptor" in font for font in descendants)


def test_the_page_renders_ink_where_the_heading_is(pdf_template):
    data = render_pdf(pdf_template("<h1>活动预算 关怀晚宴</h1>"), {})
    image = pypdfium2.PdfDocument(data)[0].render(scale=1).to_pil().convert("L")
    width, height = image.size
    heading = image.crop((0, 0, width, height // 8))
    assert heading.getextrema()[0] < 80, "the heading printed nothing"


def test_no_address_in_the_text_is_fetched(pdf_template):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/tracker.png"
        body = f'<img src="{url}"><link rel="stylesheet" href="{url}.css"><p>场地</p>'
        data = render_pdf(pdf_template(body), {})
    finally:
        server.shutdown()
    assert hits == []
    assert "场地" in pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
