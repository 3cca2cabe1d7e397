"""What a column of an import file can be: the fields of each import kind, the headers
recognised without any mapping (Chinese and English), and resolving a user's mapping.

A mapping is ``{column: field}`` where column is the header text (see
``importing_files.column_keys``) and field a key below, or ``""`` to leave the column out.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.regions import normalise_city, normalise_province
from customers.models import Customer, ImportKind, Order, OrderLine
from customers.services import importing_values as values


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    aliases: tuple[str, ...]
    clean: Callable  # clean(raw, label=...) -> value, raises CellError

    @property
    def text_length(self) -> int | None:
        """For a plain text field its maximum length (0: unlimited), else ``None``."""
        if isinstance(self.clean, partial) and self.clean.func is values.clean_text:
            return self.clean.keywords["max_length"] or 0
        return None


def _text(max_length: int | None):
    return partial(values.clean_text, max_length=max_length)


def _verbose(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


def _mobile(raw, *, label):
    return values.clean_mobile(raw)


def _email(raw, *, label):
    return values.clean_email(raw)


_MOBILE_ALIASES = (
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "电话号码",
    "联系电话",
    "联系方式",
    "移动电话",
    "手机电话",
    "客户手机",
    "客户电话",
    "会员手机",
    "mobile",
    "mobilephone",
    "mobileno",
    "mobilenumber",
    "phone",
    "phonenumber",
    "phoneno",
    "cell",
    "cellphone",
    "tel",
    "telephone",
)
_EMAIL_ALIASES = (
    "邮箱",
    "电子邮箱",
    "电子邮件",
    "邮件",
    "邮箱地址",
    "客户邮箱",
    "email",
    "mail",
    "emailaddress",
)


CUSTOMER_FIELDS: dict[str, ImportField] = {
    field.key: field
    for field in (
        ImportField(
            "name",
            _verbose(Customer, "name"),
            (
                "姓名",
                "名字",
                "客户姓名",
                "客户名称",
                "会员姓名",
                "名称",
                "客户",
                "联系人",
                "name",
                "fullname",
                "customername",
                "customer",
            ),
            partial(values.clean_header_text, max_length=100),
        ),
        ImportField("mobile", _verbose(Customer, "mobile"), _MOBILE_ALIASES, _mobile),
        ImportField("email", _verbose(Customer, "email"), _EMAIL_ALIASES, _email),
        ImportField(
            "birthday",
            _verbose(Customer, "birthday"),
            (
                "生日",
                "出生日期",
                "出生年月日",
                "生日日期",
                "birthday",
                "birthdate",
                "dateofbirth",
                "dob",
            ),
            values.clean_past_date,
        ),
        ImportField(
            "gender", _verbose(Customer, "gender"), ("性别", "gender", "sex"), values.clean_gender
        ),
        ImportField(
            "province",
            _verbose(Customer, "province"),
            ("省份", "省", "province"),
            partial(values.clean_place, max_length=30, normalise=normalise_province),
        ),
        ImportField(
            "city",
            _verbose(Customer, "city"),
            ("城市", "市", "city"),
            partial(values.clean_place, max_length=30, normalise=normalise_city),
        ),
        ImportField(
            "district",
            _verbose(Customer, "district"),
            ("区县", "区", "县", "区域县", "district", "county"),
            _text(30),
        ),
        ImportField(
            "street",
            _verbose(Customer, "street"),
            (
                "地址",
                "详细地址",
                "街道地址",
                "街道",
                "通讯地址",
                "联系地址",
                "收货地址",
                "address",
                "street",
                "streetaddress",
            ),
            _text(200),
        ),
        ImportField(
            "registered_on",
            _verbose(Customer, "registered_on"),
            (
                "注册时间",
                "注册日期",
                "注册",
                "入会日期",
                "入会时间",
                "开卡日期",
                "建档日期",
                "registeredon",
                "registrationdate",
                "registered",
                "signupdate",
                "joindate",
                "joined",
            ),
            values.clean_past_date,
        ),
        ImportField(
            "industry", _verbose(Customer, "industry"), ("行业", "所属行业", "industry"), _text(50)
        ),
        ImportField(
            "region",
            _verbose(Customer, "region"),
            ("地区", "区域", "大区", "region", "area"),
            _text(50),
        ),
        ImportField(
            "source",
            _verbose(Customer, "source"),
            ("来源", "客户来源", "来源渠道", "source", "leadsource"),
            values.clean_source,
        ),
        ImportField(
            "kind",
            _verbose(Customer, "kind"),
            ("客户类型", "客户性质", "类型", "kind", "customertype", "type"),
            values.clean_kind,
        ),
        ImportField(
            "preferred_channel",
            _verbose(Customer, "preferred_channel"),
            ("偏好渠道", "首选渠道", "联系偏好", "preferredchannel"),
            values.clean_channel,
        ),
        ImportField(
            "preferred_categories",
            _verbose(Customer, "preferred_categories"),
            ("偏好品类", "喜好品类", "偏好类别", "偏好商品", "preferredcategories", "categories"),
            partial(values.clean_list, item_length=60),
        ),
        ImportField(
            "tags",
            _verbose(Customer, "tags"),
            ("标签", "客户标签", "tags", "tag", "labels"),
            partial(values.clean_list, item_length=50),
        ),
        ImportField(
            "notes",
            _verbose(Customer, "notes"),
            ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
            _text(None),
        ),
        ImportField(
            "referrer",
            gettext_lazy("Referrer (mobile phone or customer ID)"),
            (
                "推荐人",
                "推荐人手机",
                "推荐人手机号",
                "推荐人电话",
                "推荐人id",
                "推荐人编号",
                "推荐人客户id",
                "介绍人",
                "介绍人手机",
                "referrer",
                "referredby",
                "referrermobile",
                "referrerphone",
                "referrerid",
            ),
            values.clean_referrer,
        ),
        ImportField(
            "consent_sms",
            gettext_lazy("Consent to SMS"),
            (
                "同意短信",
                "短信同意",
                "接收短信",
                "允许短信",
                "短信营销",
                "smsconsent",
                "consentsms",
                "acceptsms",
                "smsoptin",
            ),
            values.clean_consent,
        ),
        ImportField(
            "consent_email",
            gettext_lazy("Consent to email"),
            (
                "同意邮件",
                "邮件同意",
                "接收邮件",
                "允许邮件",
                "邮件营销",
                "emailconsent",
                "consentemail",
                "acceptemail",
                "emailoptin",
            ),
            values.clean_consent,
        ),
        ImportField(
            "consent_wecom",
            gettext_lazy("Consent to WeCom"),
            ("同意企业微信", "企业微信同意", "同意微信", "wecomconsent", "consentwecom"),
            values.clean_consent,
        ),
        ImportField(
            "consent_push",
            gettext_lazy("Consent to app push"),
            ("同意推送", "接收推送", "允许推送", "pushconsent", "consentpush"),
            values.clean_consent,
        ),
        ImportField(
            "consent_phone",
            gettext_lazy("Consent to phone calls"),
            (
                "同意电话",
                "同意电话回访",
                "接受电话回访",
                "电话回访",
                "phoneconsent",
                "consentphone",
            ),
            values.clean_consent,
        ),
    )
}
CONSENT_FIELDS = {
    "consent_sms": "sms",
    "consent_email": "email",
    "consent_wecom": "wecom",
    "consent_push": "push",
    "consent_phone": "phone",
}

ORDER_FIELDS: dict[str, ImportField] = {
    field.key: field
    for field in (
        ImportField(
            "order_no",
            _verbose(Order, "order_no"),
            (
                "订单号",
                "订单编号",
                "单号",
                "订单",
                "订单id",
                "交易号",
                "orderno",
                "ordernumber",
                "order",
                "orderid",
            ),
            _text(64),
        ),
        ImportField(
            "customer_mobile", gettext_lazy("Customer mobile phone"), _MOBILE_ALIASES, _mobile
        ),
        ImportField("customer_email", gettext_lazy("Customer email"), _EMAIL_ALIASES, _email),
        ImportField(
            "customer_id",
            gettext_lazy("Customer ID"),
            ("客户id", "客户编号", "会员id", "customerid", "customerno"),
            values.clean_customer_id,
        ),
        ImportField(
            "ordered_at",
            _verbose(Order, "ordered_at"),
            (
                "下单时间",
                "订单时间",
                "订单日期",
                "下单日期",
                "购买时间",
                "购买日期",
                "交易时间",
                "交易日期",
                "日期",
                "时间",
                "orderedat",
                "orderdate",
                "ordertime",
                "purchasedate",
                "date",
                "datetime",
                "time",
            ),
            values.clean_datetime,
        ),
        ImportField(
            "amount",
            _verbose(Order, "amount"),
            (
                "金额",
                "订单金额",
                "实付金额",
                "支付金额",
                "总金额",
                "合计",
                "amount",
                "total",
                "ordertotal",
                "totalamount",
            ),
            partial(values.clean_decimal, max_digits=14),
        ),
        ImportField(
            "product",
            _verbose(OrderLine, "product"),
            ("商品", "商品名称", "产品", "产品名称", "品名", "product", "productname", "item"),
            _text(120),
        ),
        ImportField(
            "category",
            _verbose(OrderLine, "category"),
            ("品类", "类别", "商品类别", "分类", "类目", "category"),
            _text(60),
        ),
        ImportField(
            "quantity",
            _verbose(OrderLine, "quantity"),
            ("数量", "件数", "quantity", "qty"),
            partial(values.clean_decimal, max_digits=10, allow_zero=False),
        ),
        ImportField(
            "unit_price",
            _verbose(OrderLine, "unit_price"),
            ("单价", "价格", "售价", "unitprice", "price"),
            partial(values.clean_decimal, max_digits=14),
        ),
        ImportField(
            "store",
            _verbose(Order, "store"),
            ("门店", "店铺", "渠道", "销售渠道", "门店渠道", "store", "shop", "channel"),
            _text(100),
        ),
    )
}

FIELDS: dict[str, dict[str, ImportField]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.ORDERS: ORDER_FIELDS,
}

_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|<.*?>")
_HEADER_NOISE = re.compile(r"[\s_\-./\\*:#'\"]|必填|选填|required|optional")


def normalise_header(text: str) -> str:
    """ "手机号（必填）" → "手机号", "E-mail Address" → "emailaddress"."""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    return _HEADER_NOISE.sub("", _BRACKETED.sub("", folded))


_ALIAS_INDEX: dict[str, dict[str, str]] = {
    kind: {
        normalise_header(alias): field.key
        for field in fields.values()
        for alias in (field.key, *field.aliases)
    }
    for kind, fields in FIELDS.items()
}


def recognise(column: str, kind: str) -> str:
    """The field a header names (by alias, field key or label), or ``""``."""
    header = normalise_header(column)
    if not header:
        return ""
    found = _ALIAS_INDEX[kind].get(header)
    if found:
        return found
    for field in FIELDS[kind].values():
        if normalise_header(str(field.label)) == header:
            return field.key
    return ""


def field_for(name: str, kind: str) -> str:
    """A field given by key, alias or label (``--map 客户电话=手机`` works), ``""`` for
    "ignore"; raises ``ValidationError`` for a name that is none of these."""
    text = (name or "").strip()
    if text.lower() in ("", "-", "ignore", "skip", "none", "忽略", "不导入"):
        return ""
    if text in FIELDS[kind]:
        return text
    found = recognise(text, kind)
    if not found:
        raise ValidationError(
            _("“%(field)s” is not a field of this import; use one of: %(fields)s")
            % {"field": text, "fields": ", ".join(FIELDS[kind])}
        )
    return found


def resolve_mapping(
    columns: list[str], kind: str, explicit: dict | None = None, *, strict: bool = True
) -> dict[str, str]:
    """The complete ``{column: field}`` for a file: explicit choices first, then recognised
    headers for the remaining columns (a field is taken once). With ``strict``, naming a
    column the file does not have is an error; presets are applied with ``strict=False``
    because one preset serves files that differ by a column or two."""
    errors: list[str] = []
    mapping = dict.fromkeys(columns, "")
    taken: dict[str, str] = {}
    chosen: set[str] = set()
    for column, name in (explicit or {}).items():
        if column not in mapping:
            if strict:
                errors.append(_("The file has no column “%(column)s”.") % {"column": column})
            continue
        try:
            field = field_for(name, kind)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        chosen.add(column)
        if not field:
            continue
        if field in taken:
            errors.append(
                _("Columns “%(first)s” and “%(second)s” are both mapped to %(field)s.")
                % {"first": taken[field], "second": column, "field": FIELDS[kind][field].label}
            )
            continue
        mapping[column] = field
        taken[field] = column
    for column in columns:
        if column in chosen:
            continue
        field = recognise(column, kind)
        if field and field not in taken:
            mapping[column] = field
            taken[field] = column
    if errors:
        raise ValidationError(errors)
    return mapping


def missing_fields(mapping: dict[str, str], kind: str) -> list[str]:
    """What a mapping lacks before rows can be read, as messages for the user."""
    fields = set(mapping.values())
    labels = {key: field.label for key, field in FIELDS[kind].items()}
    problems = []
    if kind == ImportKind.CUSTOMERS:
        if "name" not in fields:
            problems.append(_("No column is mapped to %(field)s.") % {"field": labels["name"]})
        if not fields & {"mobile", "email"}:
            problems.append(
                _("No column is mapped to %(mobile)s or %(email)s; one contact is required.")
                % {"mobile": labels["mobile"], "email": labels["email"]}
            )
    else:
        for key in ("order_no", "ordered_at"):
            if key not in fields:
                problems.append(_("No column is mapped to %(field)s.") % {"field": labels[key]})
        if not fields & {"customer_id", "customer_mobile", "customer_email"}:
            problems.append(
                _("No column identifies the customer (%(fields)s).")
                % {
                    "fields": ", ".join(
                        str(labels[key])
                        for key in ("customer_mobile", "customer_email", "customer_id")
                    )
                }
            )
        if not fields & {"amount", "unit_price"}:
            problems.append(
                _("No column is mapped to %(amount)s or %(price)s.")
                % {"amount": labels["amount"], "price": labels["unit_price"]}
            )
    return problems


def field_choices(kind: str) -> list[tuple[str, str | Promise]]:
    return [(key, field.label) for key, field in FIELDS[kind].items()]
