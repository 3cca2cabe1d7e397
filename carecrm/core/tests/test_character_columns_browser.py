"""The phone layout check ``character_columns`` (carecrm/core/testing.py) in Chromium: it
finds a label squeezed into a table cell one character wide — what a table of eight
columns does to Chinese headings on a 390 px screen — and passes a page where text runs
across, hidden text and one-character cells (a "—", a digit)."""

import pytest

from carecrm.core.testing import PHONE, character_columns

pytestmark = pytest.mark.browser

SQUEEZED = """
<main>
  <table><tr>
    <td style="width:1px">截止日期</td>
    <td style="width:1px">—</td>
    <td style="width:1px">7</td>
    <td><span style="display:inline-block;width:8px">手机号码</span></td>
  </tr></table>
  <p>客户：欧阳娜娜，截止日期 2027-03-07</p>
  <div style="display:none;width:1px">隐藏的标签</div>
</main>
"""


def test_text_set_one_character_per_line_is_found(browser):
    page = browser.new_context(**PHONE).new_page()
    page.set_content(SQUEEZED)
    assert character_columns(page) == ["td: 截止日期", "span: 手机号码"]
    page.context.close()


def test_a_page_with_text_across_passes(browser):
    page = browser.new_context(**PHONE).new_page()
    page.set_content(SQUEEZED.replace("width:1px", "width:auto").replace("width:8px", ""))
    assert character_columns(page) == []
    assert character_columns(page, "nav") == []  # no such element: the whole body
    page.context.close()
