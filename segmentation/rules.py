"""Dynamic segment rules: the JSON format, its validation and its compilation to a ``Q``.

A rule set is a group::

    {"match": "all" | "any",
     "conditions": [condition or group, ...]}

and a condition is ``{"field": key, "op": op, "value": ...}`` with the fields and
operators of :data:`FIELDS`. Groups nest up to :data:`MAX_DEPTH` levels; an empty group
matches every customer. Values are validated on save (:func:`validate_rules`) so that
:func:`compile_rules` never meets a surprise.

Numbers, amounts, day counts and ages take ``gte`` / ``lte`` (one number as the value) or
``between`` (``{"min": a, "max": b}``, both ends included). Rules saved before ``gte`` and
``lte`` existed hold a one-sided ``between`` (``{"min": a, "max": null}``); it still means
"at least a" and is still accepted, so saved segments keep their members.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from carecrm.money import yuan
from carecrm.regions import normalise_city, normalise_province
from customers.models import (
    Channel,
    ChannelConsent,
    Customer,
    LifecycleStage,
    StaticList,
    Tag,
    ValueTier,
    VipLevel,
)
from segmentation.models import RfmSegment

MAX_DEPTH = 3
MAX_CONDITIONS = 60


class RuleError(ValueError):
    """A rule set that cannot be saved; the message is shown to the user."""


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str | Promise
    kind: str
    column: str = ""
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    # The label in summaries ("Total spend ≥ ¥5,000"), without the unit the form label has.
    short: str | Promise = ""
    # A searchable picker with suggestions may also take typed values (text fields).
    suggest: bool = False

    @property
    def name(self) -> str | Promise:
        return self.short or self.label


NUMBER_OPS = (
    ("gte", "≥"),
    ("lte", "≤"),
    ("between", _("between")),
)
NUMBER_KINDS = ("int_range", "money_range", "days_since", "age")

OPS = {
    "choice": (("in", _("is any of")), ("not_in", _("is none of"))),
    "text": (("in", _("is any of")), ("not_in", _("is none of"))),
    "department": (("in", _("is any of")), ("not_in", _("is none of"))),
    "int_range": NUMBER_OPS,
    "money_range": NUMBER_OPS,
    "days_since": NUMBER_OPS,
    "age": NUMBER_OPS,
    "date": (
        ("within_days", _("within the last … days")),
        ("not_within_days", _("not within the last … days")),
        ("on_or_after", _("on or after")),
        ("on_or_before", _("on or before")),
        ("date_between", _("between")),
        ("after", _("after")),
        ("before", _("before")),
        ("never", _("never")),
    ),
    "tags": (
        ("has_any", _("has any of")),
        ("has_all", _("has all of")),
        ("has_none", _("has none of")),
    ),
    "consent": (("granted", _("has agreed to")), ("not_granted", _("has not agreed to"))),
    "manager": (("in", _("is any of")), ("none", _("has no manager"))),
    "static_list": (("in", _("is on any of")), ("not_in", _("is on none of"))),
}

MONTHS = tuple((str(m), str(m)) for m in range(1, 13))


def _choices(choices) -> tuple:
    return tuple((str(value), label) for value, label in choices if value != "")


FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in (
        FieldSpec(
            "value_tier", _("Value tier"), "choice", "value_tier", _choices(ValueTier.choices)
        ),
        FieldSpec("vip_level", _("VIP level"), "choice", "vip_level", _choices(VipLevel.choices)),
        FieldSpec(
            "lifecycle_stage",
            _("Lifecycle"),
            "choice",
            "lifecycle_stage",
            _choices(LifecycleStage.choices),
        ),
        FieldSpec(
            "rfm_segment", _("RFM segment"), "choice", "rfm_segment", _choices(RfmSegment.choices)
        ),
        FieldSpec("rfm_recency", _("R score"), "int_range", "rfm_recency", minimum=1, maximum=5),
        FieldSpec(
            "rfm_frequency", _("F score"), "int_range", "rfm_frequency", minimum=1, maximum=5
        ),
        FieldSpec("rfm_monetary", _("M score"), "int_range", "rfm_monetary", minimum=1, maximum=5),
        FieldSpec(
            "loyalty_score",
            _("Loyalty score"),
            "int_range",
            "loyalty_score",
            minimum=0,
            maximum=100,
        ),
        FieldSpec("region", _("Region"), "text", "region", suggest=True),
        FieldSpec("province", _("Province"), "text", "province", suggest=True),
        FieldSpec("city", _("City"), "text", "city", suggest=True),
        FieldSpec("industry", _("Industry"), "text", "industry", suggest=True),
        FieldSpec("department", _("Department"), "department", "department_id"),
        FieldSpec("tags", _("Tags"), "tags"),
        FieldSpec(
            "total_spend",
            _("Total spend (¥)"),
            "money_range",
            "total_spend",
            minimum=0,
            short=_("Total spend"),
        ),
        FieldSpec(
            "spend_12m",
            _("Spend in last 12 months (¥)"),
            "money_range",
            "spend_12m",
            minimum=0,
            short=_("Spend in last 12 months"),
        ),
        FieldSpec("purchase_count", _("Purchases"), "int_range", "purchase_count", minimum=0),
        FieldSpec(
            "purchase_count_12m",
            _("Purchases in last 12 months"),
            "int_range",
            "purchase_count_12m",
            minimum=0,
        ),
        FieldSpec("last_purchase_on", _("Last purchase"), "date", "last_purchase_on"),
        FieldSpec(
            "days_since_purchase",
            _("Days since last purchase"),
            "days_since",
            "last_purchase_on",
            minimum=0,
        ),
        FieldSpec("age", _("Age"), "age", "birthday", minimum=0, maximum=150),
        FieldSpec("birth_month", _("Birthday month"), "choice", "birth_month", MONTHS),
        FieldSpec("consent", _("Consent"), "consent", choices=_choices(Channel.choices)),
        FieldSpec("relationship_manager", _("Relationship manager"), "manager"),
        FieldSpec("static_list", _("Static list"), "static_list"),
    )
}


def field_catalogue() -> list[dict]:
    """The fields and operators, for the rule builder in the browser."""
    return [
        {
            "key": spec.key,
            "label": str(spec.label),
            "kind": spec.kind,
            "ops": [{"key": key, "label": str(label)} for key, label in OPS[spec.kind]],
            "choices": [[value, str(label)] for value, label in spec.choices],
            "min": spec.minimum,
            "max": spec.maximum,
            "suggest": spec.suggest,
        }
        for spec in FIELDS.values()
    ]


def _int(value, spec: FieldSpec, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(
            _("%(field)s: %(what)s must be a whole number.") % {"field": spec.label, "what": what}
        ) from exc
    if (spec.minimum is not None and number < spec.minimum) or (
        spec.maximum is not None and number > spec.maximum
    ):
        raise RuleError(
            _("%(field)s: %(what)s must be between %(min)s and %(max)s.")
            % {"field": spec.label, "what": what, "min": spec.minimum, "max": spec.maximum or "∞"}
        )
    return number


def _money(value, spec: FieldSpec, what: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise RuleError(
            _("%(field)s: %(what)s must be an amount.") % {"field": spec.label, "what": what}
        ) from exc
    if not amount.is_finite():
        raise RuleError(
            _("%(field)s: %(what)s must be an amount.") % {"field": spec.label, "what": what}
        )
    return str(yuan(amount))


def _id_list(value, spec: FieldSpec, model) -> list[int]:
    if not isinstance(value, list) or not value:
        raise RuleError(_("%(field)s: choose at least one.") % {"field": spec.label})
    try:
        ids = sorted({int(v) for v in value})
    except (TypeError, ValueError) as exc:
        raise RuleError(_("%(field)s: unknown choice.") % {"field": spec.label}) from exc
    if model.objects.filter(pk__in=ids).count() != len(ids):
        raise RuleError(_("%(field)s: a chosen item no longer exists.") % {"field": spec.label})
    return ids


def _date(value, spec: FieldSpec) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise RuleError(_("%(field)s: give a date.") % {"field": spec.label}) from exc


def _validate_number(spec: FieldSpec, op: str, value):
    """``gte``/``lte``: one number; ``between``: ``{"min", "max"}`` — both ends from the
    builder, one end in rules saved before ``gte``/``lte`` existed."""
    parse = _money if spec.kind == "money_range" else _int
    if op in ("gte", "lte"):
        if isinstance(value, dict):  # a range handed to a one-sided operator: take its end
            value = value.get("min" if op == "gte" else "max")
        number = parse(value, spec, _("the value"))
        if number is None:
            raise RuleError(_("%(field)s: give a number.") % {"field": spec.label})
        return number
    if not isinstance(value, dict):
        raise RuleError(_("%(field)s: give a minimum or a maximum.") % {"field": spec.label})
    low = parse(value.get("min"), spec, _("the minimum"))
    high = parse(value.get("max"), spec, _("the maximum"))
    if low is None and high is None:
        raise RuleError(_("%(field)s: give a minimum or a maximum.") % {"field": spec.label})
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise RuleError(_("%(field)s: the minimum is above the maximum.") % {"field": spec.label})
    return {"min": low, "max": high}


def _validate_condition(condition: dict) -> dict:
    spec = FIELDS.get(condition.get("field"))
    if spec is None:
        raise RuleError(_("Unknown field %(field)r.") % {"field": condition.get("field")})
    op = condition.get("op")
    if op not in dict(OPS[spec.kind]):
        raise RuleError(_("%(field)s: unknown operator %(op)r.") % {"field": spec.label, "op": op})
    value = condition.get("value")
    if spec.kind == "choice":
        allowed = {v for v, _label in spec.choices}
        if not isinstance(value, list) or not value:
            raise RuleError(_("%(field)s: choose at least one value.") % {"field": spec.label})
        if not set(map(str, value)) <= allowed:
            raise RuleError(_("%(field)s: unknown value.") % {"field": spec.label})
        value = sorted(set(map(str, value)))
    elif spec.kind == "text":
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise RuleError(_("%(field)s: give at least one value.") % {"field": spec.label})
        value = sorted({str(v).strip() for v in value if str(v).strip()})
        if not value:
            raise RuleError(_("%(field)s: give at least one value.") % {"field": spec.label})
    elif spec.kind in NUMBER_KINDS:
        value = _validate_number(spec, op, value)
    elif spec.kind == "date":
        if op in ("within_days", "not_within_days"):
            value = _int(value, FieldSpec(spec.key, spec.label, "int", minimum=1), _("the days"))
            if value is None:
                raise RuleError(_("%(field)s: give a number of days.") % {"field": spec.label})
        elif op in ("after", "before", "on_or_after", "on_or_before"):
            value = _date(value, spec)
        elif op == "date_between":
            if not isinstance(value, dict):
                raise RuleError(_("%(field)s: give both dates.") % {"field": spec.label})
            start, end = _date(value.get("min"), spec), _date(value.get("max"), spec)
            if start > end:
                raise RuleError(
                    _("%(field)s: the first date is after the second.") % {"field": spec.label}
                )
            value = {"min": start, "max": end}
        else:
            value = None
    elif spec.kind == "tags":
        value = _id_list(value, spec, Tag)
    elif spec.kind == "consent":
        if value not in dict(spec.choices):
            raise RuleError(_("%(field)s: choose a channel.") % {"field": spec.label})
    elif spec.kind == "manager":
        if op == "none":
            value = None
        else:
            from carecrm.accounts.models import User

            value = _id_list(value, spec, User)
    elif spec.kind == "static_list":
        value = _id_list(value, spec, StaticList)
    elif spec.kind == "department":
        from carecrm.accounts.models import Department

        value = _id_list(value, spec, Department)
    return {"field": spec.key, "op": op, "value": value}


def validate_rules(rules: dict, *, _depth: int = 1, _count: list | None = None) -> dict:
    """Return the normalised rule set or raise :class:`RuleError`."""
    count = _count if _count is not None else [0]
    if not isinstance(rules, dict):
        raise RuleError(_("The rules must be a group."))
    if rules == {}:
        return {"match": "all", "conditions": []}
    match = rules.get("match", "all")
    if match not in ("all", "any"):
        raise RuleError(_("A group matches “all” or “any” of its conditions."))
    conditions = rules.get("conditions", [])
    if not isinstance(conditions, list):
        raise RuleError(_("A group's conditions must be a list."))
    normalised = []
    for item in conditions:
        count[0] += 1
        if count[0] > MAX_CONDITIONS:
            raise RuleError(_("At most %(n)s conditions.") % {"n": MAX_CONDITIONS})
        if isinstance(item, dict) and "conditions" in item:
            if _depth >= MAX_DEPTH:
                raise RuleError(_("Groups nest at most %(n)s levels.") % {"n": MAX_DEPTH})
            normalised.append(validate_rules(item, _depth=_depth + 1, _count=count))
        elif isinstance(item, dict):
            normalised.append(_validate_condition(item))
        else:
            raise RuleError(_("A condition must name a field, an operator and a value."))
    return {"match": match, "conditions": normalised}


def _range(column: str, value: dict, cast) -> Q:
    query = Q()
    if value.get("min") is not None:
        query &= Q(**{f"{column}__gte": cast(value["min"])})
    if value.get("max") is not None:
        query &= Q(**{f"{column}__lte": cast(value["max"])})
    return query


def _bounds(op: str, value) -> tuple:
    """(low, high) of a number condition, ``None`` for an open end."""
    if op == "gte":
        return value, None
    if op == "lte":
        return None, value
    return value.get("min"), value.get("max")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _tagged(tag_id: int) -> Q:
    return Q(pk__in=Customer.tags.through.objects.filter(tag_id=tag_id).values("customer_id"))


# Places are stored in one spelling (carecrm.regions); a rule written "广东" matches
# the customers stored as "广东省", as the customer list's filter does.
_PLACE_SPELLING = {"province": normalise_province, "city": normalise_city}


def _compile_condition(condition: dict, today: dt.date) -> Q:
    spec = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    if spec.kind in ("choice", "text"):
        if spec.key == "birth_month":
            value = [int(v) for v in value]
        if spec.key in _PLACE_SPELLING:
            value = sorted({_PLACE_SPELLING[spec.key](v) for v in value})
        query = Q(**{f"{spec.column}__in": value})
        return ~query if op == "not_in" else query
    if spec.kind in NUMBER_KINDS:
        low, high = _bounds(op, value)
        if spec.kind == "int_range":
            return _range(spec.column, {"min": low, "max": high}, int)
        if spec.kind == "money_range":
            return _range(spec.column, {"min": low, "max": high}, Decimal)
        if spec.kind == "days_since":
            # N days or more since the last purchase = bought on or before today − N.
            return _range(
                spec.column,
                {
                    "min": None if high is None else today - dt.timedelta(days=int(high)),
                    "max": None if low is None else today - dt.timedelta(days=int(low)),
                },
                lambda day: day,
            )
        # age: at least A = born on or before today − A years; at most B = born after
        # today − (B + 1) years.
        return _range(
            spec.column,
            {
                "min": None
                if high is None
                else _years_before(today, int(high) + 1) + dt.timedelta(days=1),
                "max": None if low is None else _years_before(today, int(low)),
            },
            lambda day: day,
        )
    if spec.kind == "department":
        query = Q(department_id__in=value)
        return ~query if op == "not_in" else query
    if spec.kind == "date":
        column = spec.column
        if op == "on_or_after":
            return Q(**{f"{column}__gte": dt.date.fromisoformat(value)})
        if op == "on_or_before":
            return Q(**{f"{column}__lte": dt.date.fromisoformat(value)})
        if op == "date_between":
            return Q(
                **{
                    f"{column}__gte": dt.date.fromisoformat(value["min"]),
                    f"{column}__lte": dt.date.fromisoformat(value["max"]),
                }
            )
        if op == "within_days":
            return Q(**{f"{column}__gte": today - dt.timedelta(days=value)})
        if op == "not_within_days":
            return Q(**{f"{column}__lt": today - dt.timedelta(days=value)}) | Q(
                **{f"{column}__isnull": True}
            )
        if op == "after":
            return Q(**{f"{column}__gt": dt.date.fromisoformat(value)})
        if op == "before":
            return Q(**{f"{column}__lt": dt.date.fromisoformat(value)})
        return Q(**{f"{column}__isnull": True})
    if spec.kind == "tags":
        if op == "has_all":
            query = Q()
            for tag_id in value:
                query &= _tagged(tag_id)
            return query
        any_tag = Q(
            pk__in=Customer.tags.through.objects.filter(tag_id__in=value).values("customer_id")
        )
        return ~any_tag if op == "has_none" else any_tag
    if spec.kind == "consent":
        granted = Q(
            pk__in=ChannelConsent.objects.filter(channel=value, granted=True).values("customer_id")
        )
        return ~granted if op == "not_granted" else granted
    if spec.kind == "manager":
        if op == "none":
            return Q(relationship_manager__isnull=True)
        return Q(relationship_manager_id__in=value)
    if spec.kind == "static_list":
        on_list = Q(
            pk__in=StaticList.customers.through.objects.filter(staticlist_id__in=value).values(
                "customer_id"
            )
        )
        return ~on_list if op == "not_in" else on_list
    raise RuleError(spec.kind)


def compile_rules(rules: dict, *, today: dt.date) -> Q:
    """A validated rule set as a filter on ``Customer`` (relative dates count from
    ``today``)."""
    conditions = rules.get("conditions") or []
    if not conditions:
        return Q()
    parts = [
        compile_rules(item, today=today)
        if "conditions" in item
        else _compile_condition(item, today)
        for item in conditions
    ]
    query = parts[0]
    for part in parts[1:]:
        query = query & part if rules.get("match", "all") == "all" else query | part
    return query


def _list(values) -> str:
    """Values joined as the language lists them: "Gold, Silver" / "金卡、银卡"."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(str(v) for v in values)


def _amount(value) -> str:
    """¥5,000 (whole yuan without cents) and ¥999.99."""
    amount = yuan(value)
    text = f"¥{abs(amount):,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"-{text}" if amount < 0 else text


def _number(value) -> str:
    return f"{int(value):,}"


# Models whose ids rules hold, by field kind (names looked up once per summary).
_ID_KINDS = ("tags", "static_list", "manager", "department")


def _id_models() -> dict:
    from carecrm.accounts.models import Department, User

    return {"tags": Tag, "static_list": StaticList, "manager": User, "department": Department}


class RuleNames:
    """Names of the tags, lists, managers and departments some rule sets refer to, read
    with one query per kind (a page of segments shows all their summaries)."""

    def __init__(self, *rule_sets: dict):
        wanted: dict[str, set[int]] = {kind: set() for kind in _ID_KINDS}
        for rules in rule_sets:
            for key, spec in FIELDS.items():
                if spec.kind in _ID_KINDS:
                    wanted[spec.kind] |= referenced_ids(rules or {}, key)
        self.names: dict[str, dict[int, str]] = {}
        for kind, model in _id_models().items():
            ids = wanted[kind]
            self.names[kind] = (
                {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)} if ids else {}
            )

    def of(self, kind: str, ids) -> list[str]:
        return [self.names[kind].get(int(i), f"#{i}") for i in ids]


def _describe_number(spec: FieldSpec, op: str, value) -> str:
    low, high = _bounds(op, value)
    if spec.kind == "days_since":
        if low is not None and high is not None:
            return _("Last purchase %(low)s to %(high)s days ago") % {"low": low, "high": high}
        if high is not None:
            return ngettext(
                "Bought in the last %(days)s day", "Bought in the last %(days)s days", high
            ) % {"days": high}
        return ngettext(
            "No purchase for at least %(days)s day", "No purchase for at least %(days)s days", low
        ) % {"days": low}
    show = _amount if spec.kind == "money_range" else _number
    if low is not None and high is not None:
        return _("%(field)s between %(low)s and %(high)s") % {
            "field": spec.name,
            "low": show(low),
            "high": show(high),
        }
    if low is not None:
        return _("%(field)s ≥ %(value)s") % {"field": spec.name, "value": show(low)}
    return _("%(field)s ≤ %(value)s") % {"field": spec.name, "value": show(high)}


def _describe_date(op: str, value) -> str:
    if op == "within_days":
        return ngettext(
            "Bought in the last %(days)s day", "Bought in the last %(days)s days", value
        ) % {"days": value}
    if op == "not_within_days":
        return ngettext(
            "No purchase in the last %(days)s day", "No purchase in the last %(days)s days", value
        ) % {"days": value}
    if op == "never":
        return str(_("Never bought"))
    if op == "date_between":
        return _("Last purchase between %(start)s and %(end)s") % {
            "start": value["min"],
            "end": value["max"],
        }
    template = {
        "after": _("Last purchase after %(date)s"),
        "before": _("Last purchase before %(date)s"),
        "on_or_after": _("Last purchase on or after %(date)s"),
        "on_or_before": _("Last purchase on or before %(date)s"),
    }[op]
    return template % {"date": value}


def describe_condition(condition: dict, names: RuleNames | None = None) -> str:
    """One condition as a phrase in the active language: "Bought in the last 90 days",
    "Total spend ≥ ¥5,000", "VIP level: Gold (SVIP), Diamond (SVIP+)"."""
    spec = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    if spec.kind in NUMBER_KINDS:
        return _describe_number(spec, op, value)
    if spec.kind == "date":
        return _describe_date(op, value)
    if spec.kind == "consent":
        channel = dict(spec.choices).get(value, value)
        if op == "not_granted":
            return _("Has not agreed to %(channel)s") % {"channel": channel}
        return _("Has agreed to %(channel)s") % {"channel": channel}
    if spec.kind == "manager" and op == "none":
        return str(_("No relationship manager"))
    names = names or RuleNames({"conditions": [condition]})
    if spec.kind == "choice":
        chosen = {str(v) for v in value}
        shown = _list(label for key, label in spec.choices if key in chosen)
    elif spec.kind == "text":
        shown = _list(value)
    else:
        shown = _list(names.of(spec.kind, value))
    if op in ("not_in", "has_none"):
        return _("%(field)s: none of %(values)s") % {"field": spec.name, "values": shown}
    if op == "has_all":
        return _("%(field)s: all of %(values)s") % {"field": spec.name, "values": shown}
    return _("%(field)s: %(values)s") % {"field": spec.name, "values": shown}


def rule_lines(rules: dict, names: RuleNames | None = None) -> list[str]:
    """The top-level conditions of a rule set as phrases (groups in brackets)."""
    names = names or RuleNames(rules)
    return [
        describe_rules(item, names=names, _nested=True)
        if "conditions" in item
        else describe_condition(item, names)
        for item in rules.get("conditions") or []
    ]


def describe_rules(rules: dict, *, names: RuleNames | None = None, _nested: bool = False) -> str:
    """The rule set in words, in the active language: "Bought in the last 90 days and
    Total spend ≥ ¥5,000"; an empty rule set reads "All customers"."""
    lines = rule_lines(rules or {}, names)
    if not lines:
        return str(_("All customers"))
    if (rules.get("match") or "all") == "all":
        joiner = pgettext("joins rules", " and ")
    else:
        joiner = pgettext("joins rules", " or ")
    text = joiner.join(lines)
    return f"({text})" if _nested and len(lines) > 1 else text


def referenced_ids(rules: dict, field: str) -> set[int]:
    """Ids a validated rule set refers to for ``field`` (e.g. static lists), at any depth."""
    found: set[int] = set()
    for item in rules.get("conditions") or []:
        if "conditions" in item:
            found |= referenced_ids(item, field)
        elif item.get("field") == field and isinstance(item.get("value"), list):
            found |= {int(v) for v in item["value"]}
    return found
