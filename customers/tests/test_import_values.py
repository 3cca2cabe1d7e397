"""Cleaning single cells of an import file: what is accepted, how it is stored, and the
reason when it is not."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from carecrm.spreadsheet import spreadsheet_text
from customers.services.importing_fields import normalise_header, recognise, resolve_mapping
from customers.services.importing_files import (
    ImportFileError,
    column_keys,
    decode_text,
    open_table,
)
from customers.services.importing_values import (
    CellError,
    cell_text,
    clean_consent,
    clean_datetime,
    clean_decimal,
    clean_email,
    clean_gender,
    clean_list,
    clean_mobile,
    clean_past_date,
    clean_source,
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "8613812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
        13812345678,
        13812345678.0,
        " 13812345678\t",
    ],
)
def test_mobile_numbers_are_stored_as_e164(raw):
    assert clean_mobile(raw) == "+8613812345678"


def test_a_foreign_mobile_number_is_kept_in_e164():
    assert clean_mobile("+852 5123 4567") == "+85251234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1381234", "not a valid number"),
        ("12812345678", "not a valid number"),
        ("abc", "not a phone number"),
        ("=13812345678", "not a phone number"),
        ('=HYPERLINK("http://x","13812345678")', "not a phone number"),
        ("@SUM(A1:A2)", "not a phone number"),
        ("-13812345678", "not a phone number"),
        ("+cmd|' /C calc'!A0", "not a phone number"),
        ("1.38123E+10", "scientific notation"),
        ("021-6123 4567", "not a mobile number"),
        ("138 1234 5678 转 12", "not a phone number"),
    ],
)
def test_values_that_are_not_mobile_numbers_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(CellError, match=reason):
        clean_mobile(raw)


def test_empty_phone_and_email_mean_no_contact():
    assert clean_mobile("  ") == ""
    assert clean_mobile(None) == ""
    assert clean_email("") == ""


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Zhang.Wei@Example.CN", "zhang.wei@example.cn"),
        (" li+vip@example.com ", "li+vip@example.com"),
        ("wang＠example.cn", "wang@example.cn"),
        ("zhao@例子.中国", "zhao@例子.中国"),
    ],
)
def test_emails_are_validated_and_lower_cased(raw, stored):
    assert clean_email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["zhang@", "@example.com", "zhang@@example.com", '=HYPERLINK("mailto:a@b.cn")', "a b@c.cn"],
)
def test_invalid_emails_are_rejected(raw):
    with pytest.raises(CellError, match="not a valid address"):
        clean_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-05",
        "2024/1/5",
        "2024/01/05",
        "2024.1.5",
        "20240105",
        "2024年1月5日",
        "2024-01-05 10:30:00",
        "45296",
        dt.datetime(2024, 1, 5, 0, 0),
        dt.date(2024, 1, 5),
        20240105,
        45296.0,
    ],
)
def test_dates_in_the_usual_formats_are_read(raw):
    assert clean_past_date(raw, label="Birthday") == dt.date(2024, 1, 5)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2023-02-30", "not a real date"),
        ("2023/13/01", "not a real date"),
        ("20230230", "not a real date"),
        ("2023年2月29日", "not a real date"),
        ("5/1/2024", "not a date"),
        ("next tuesday", "not a date"),
        ("=TODAY()", "not a date"),
        ("1850-01-01", "before 1900"),
    ],
)
def test_impossible_or_unreadable_dates_are_rejected(raw, reason):
    with pytest.raises(CellError, match=reason):
        clean_past_date(raw, label="Birthday")


def test_a_birthday_in_the_future_is_rejected():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(CellError, match="in the future"):
        clean_past_date(tomorrow.isoformat(), label="Birthday")


def test_order_times_are_aware_in_shanghai_time():
    moment = clean_datetime("2024/1/5 14:30", label="Ordered at")
    assert moment == dt.datetime(2024, 1, 5, 6, 30, tzinfo=dt.UTC)
    midnight = clean_datetime("2024-01-05", label="Ordered at")
    assert timezone.localtime(midnight).hour == 0


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("男", "male"), ("女", "female"), ("M", "male"), ("f", "female"), ("Female", "female"),
     ("保密", ""), ("", "")],
)  # fmt: skip
def test_gender_words_are_understood(raw, stored):
    assert clean_gender(raw, label="Gender") == stored


def test_an_unknown_gender_word_is_rejected():
    with pytest.raises(CellError, match="not one of"):
        clean_gender("unsure", label="Gender")


def test_sources_and_consents_are_read_from_chinese_and_english_words():
    assert clean_source("营销表单", label="Source") == "marketing_form"
    assert clean_source("CRM", label="Source") == "crm"
    assert clean_consent("是", label="SMS") is True
    assert clean_consent("N", label="SMS") is False
    assert clean_consent("", label="SMS") is None
    with pytest.raises(CellError):
        clean_consent("maybe", label="SMS")


def test_lists_split_on_chinese_and_english_separators():
    assert clean_list("VIP, 咖啡；茶、VIP", label="Tags", item_length=50) == ("VIP", "咖啡", "茶")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("¥1,299.00", Decimal("1299.00")), ("1299元", Decimal("1299.00")),
     ("-59.9", Decimal("-59.90")), (199.9, Decimal("199.90")), (3, Decimal("3.00")),
     ("(20)", Decimal("-20.00"))],
)  # fmt: skip
def test_amounts_are_read_as_decimals(raw, stored):
    assert clean_decimal(raw, label="Amount", max_digits=14) == stored


def test_amounts_with_more_than_two_decimals_are_rejected_not_rounded():
    with pytest.raises(CellError, match="more than two decimals"):
        clean_decimal("12.345", label="Amount", max_digits=14)


def test_formula_cells_are_text_and_neutralised_cells_read_back_literally():
    assert cell_text("\t=1+1") == "=1+1"
    assert cell_text("'=1+1") == "=1+1"
    assert cell_text("'+8613812345678") == "+8613812345678"
    assert cell_text("O'Brien") == "O'Brien"
    assert clean_mobile("'+8613812345678") == "+8613812345678"


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+86138", "'+86138"), ("-5", "'-5"), ("@A1", "'@A1"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("张三", "张三"), ("", "")],
)  # fmt: skip
def test_spreadsheet_text_neutralises_formula_prefixes(value, safe):
    assert spreadsheet_text(value) == safe


@pytest.mark.parametrize(
    ("header", "field"),
    [("姓名", "name"), ("手机号（必填）", "mobile"), ("电话", "mobile"), ("Mobile Phone", "mobile"),
     ("E-mail", "email"), ("出生日期", "birthday"), ("性别", "gender"), ("省份", "province"),
     ("城市", "city"), ("区县", "district"), ("地址", "street"), ("注册时间", "registered_on"),
     ("行业", "industry"), ("地区", "region"), ("来源", "source"), ("标签", "tags"),
     ("备注", "notes"), ("同意短信", "consent_sms"), ("同意邮件", "consent_email"),
     ("Registration date", "registered_on"), ("客户经理", "")],
)  # fmt: skip
def test_common_headers_are_recognised_without_a_mapping(header, field):
    assert recognise(header, "customers") == field


def test_no_alias_names_two_fields():
    from customers.services.importing_fields import FIELDS

    for fields in FIELDS.values():
        seen: dict[str, str] = {}
        for field in fields.values():
            for alias in (field.key, *field.aliases):
                key = normalise_header(alias)
                assert seen.setdefault(key, field.key) == field.key, alias


def test_explicit_mapping_wins_over_recognition_and_a_field_is_taken_once():
    columns = ["姓名", "手机", "联系电话", "客户经理"]
    mapping = resolve_mapping(columns, "customers", {"联系电话": "mobile", "客户经理": "notes"})
    assert mapping == {"姓名": "name", "手机": "", "联系电话": "mobile", "客户经理": "notes"}


def test_a_mapping_naming_a_missing_column_or_field_is_an_error():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no column"):
        resolve_mapping(["姓名"], "customers", {"电话": "mobile"})
    with pytest.raises(ValidationError, match="not a field"):
        resolve_mapping(["姓名"], "customers", {"姓名": "nickname"})
    with pytest.raises(ValidationError, match="both mapped"):
        resolve_mapping(["a", "b"], "customers", {"a": "mobile", "b": "手机"})


def test_text_in_gbk_and_utf8_with_bom_is_decoded():
    assert decode_text("姓名,手机".encode("gbk")) == ("姓名,手机", "gb18030")
    assert decode_text("\ufeff姓名,手机".encode()) == ("姓名,手机", "utf-8-sig")
    assert decode_text("姓名,手机".encode()) == ("姓名,手机", "utf-8")


def test_tab_and_semicolon_separated_files_are_read():
    table = open_table("姓名\t手机\n张三\t13812345678\n".encode())
    assert table.columns == ["姓名", "手机"]
    assert list(table.rows) == [(2, ["张三", "13812345678"])]
    table = open_table("姓名;手机\n张三;13812345678\n".encode())
    assert list(table.rows) == [(2, ["张三", "13812345678"])]


def test_blank_and_repeated_headers_get_distinct_names():
    assert column_keys(["备注", "", "备注", None, ""]) == ["备注", "Column B", "备注 (2)"]


def test_old_xls_and_empty_files_are_refused_with_a_reason():
    with pytest.raises(ImportFileError, match=r"\.xls"):
        open_table(b"\xd0\xcf\x11\xe0rest", name="a.xls")
    with pytest.raises(ImportFileError, match="empty"):
        open_table(b"  \n")


def test_digits_of_other_scripts_are_not_a_mobile_number():
    with pytest.raises(CellError, match="not a phone number"):
        clean_mobile("١٣٨١٢٣٤٥٦٧٨")
