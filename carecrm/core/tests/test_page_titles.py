"""A page's title block is text for the browser tab and the history list: markup put there
by mistake vanishes from the page and shows as raw HTML in the tab."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TITLE_BLOCK = re.compile(r"\{% block title %\}(.*?)\{% endblock", re.S)
TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def test_the_walk_sees_the_templates():
    assert len(TEMPLATES) > 100


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.name))
def test_a_title_block_holds_no_markup(template):
    for title in TITLE_BLOCK.findall(template.read_text(encoding="utf-8")):
        assert "<" not in title, f"{template}: {title[:120]}"
