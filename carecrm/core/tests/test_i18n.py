"""Both languages are complete: every UI string has a Chinese translation, and pages render
in zh-hans and in English (every string a user reads is translated)."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import override
from django.utils.translation.reloader import translation_file_changed

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Words that stay English in the Chinese interface.
ALLOWED_ENGLISH = {"CareCRM", "English", "API", "VIP", "SVIP", "RFM", "CRM", "WeCom", "App"}


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (list) and flags; obsolete
    (``#~``) entries are skipped."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            field = "msgid_plural"
            entry[field] = ast.literal_eval(line[len("msgid_plural ") :])
        elif line.startswith("msgid "):
            field = "msgid"
            entry[field] = ast.literal_eval(line[len("msgid ") :])
        elif line.startswith("msgstr"):
            key, _, value = line.partition(" ")
            index = key[len("msgstr[") : -1] if "[" in key else "0"
            field = ("msgstr", index)
            entry["msgstr"][index] = ast.literal_eval(value)
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += ast.literal_eval(line)
            else:
                entry[field] += ast.literal_eval(line)
    finish()
    return entries


def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    entries = [e for e in parse_po(ZH_PO) if e["msgid"]]
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert fuzzy == [], f"fuzzy entries (check and remove the flag): {fuzzy[:20]}"


def test_header_of_the_chinese_catalogue_is_not_fuzzy():
    header = next(e for e in parse_po(ZH_PO) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: zh_Hans" in header["msgstr"]["0"]


@pytest.fixture(scope="module")
def compiled_messages():
    """Compile the catalogues (``.mo`` files are not committed) and make this process
    reload them, as the autoreloader does when a ``.mo`` file changes."""
    call_command(
        "compilemessages",
        locale=["zh_Hans", "en"],
        ignore_patterns=[".venv", "node_modules", "var", "staticfiles"],
        verbosity=0,
    )
    translation_file_changed(sender=None, file_path=ZH_PO.with_suffix(".mo"))
    yield
    translation_file_changed(sender=None, file_path=ZH_PO.with_suffix(".mo"))


def visible_text(html: str) -> str:
    """Text a person reads: tag contents plus titles, labels and placeholders."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attributes = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join([text, *attributes])


def english_words(html: str) -> set[str]:
    words = set(re.findall(r"\b[A-Za-z][A-Za-z'-]{2,}\b", visible_text(html)))
    return {w for w in words if w not in ALLOWED_ENGLISH and "@" not in w}


@pytest.mark.django_db
def test_home_page_in_chinese_shows_chinese_navigation(compiled_messages, admin_client_user):
    response = admin_client_user.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    assert "客户" in body
    assert "系统管理" in body and "退出登录" in body and "修改密码" in body
    assert "Log out" not in body
    assert english_words(body) == set()


@pytest.mark.django_db
def test_home_page_in_english_shows_english_navigation(compiled_messages, admin_client_user):
    response = admin_client_user.get("/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Customers I can see" in body
    assert "Administration" in body and "Log out" in body
    assert "退出登录" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/accounts/login/", None),
        ("/", "staff"),
        ("/", "manager"),
        ("/accounts/password/", "staff"),
        ("/accounts/password/done/", "staff"),
    ],
)
def test_pages_in_chinese_have_no_english_left(
    compiled_messages, client, staff_a, manager_a, url, who
):
    if who:
        client.force_login({"staff": staff_a, "manager": manager_a}[who])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert english_words(response.content.decode()) == set()


@pytest.mark.django_db
def test_locked_out_page_is_translated(compiled_messages, rf):
    from django.template.loader import render_to_string

    with override("zh-hans"):
        html = render_to_string("registration/locked_out.html", request=rf.get("/"))
    assert "登录失败次数过多" in html
    assert english_words(html) == set()


@pytest.mark.django_db
def test_language_switcher_remembers_the_choice(compiled_messages, staff_a_client):
    staff_a_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in staff_a_client.get("/").content.decode()
    staff_a_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出登录" in staff_a_client.get("/").content.decode()
