"""The customer list's remembered columns and a user's saved views (filters, sort and
columns under a name). A saved view belongs to one user: every write takes the acting user
and touches only their own rows."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from customers.list_columns import clean_columns
from customers.models import CustomerListPreference, SavedCustomerView

# Paging cursors and the view marker are where the user was, not what they filter by.
NOT_SAVED_PARAMS = ("after", "before", "view")
QUERY_MAX_LENGTH = 2000


def list_columns_remember(*, user, columns) -> list[str]:
    """Store the columns ``user`` chose for the customer list; returns the cleaned set."""
    cleaned = clean_columns(columns, user)
    CustomerListPreference.objects.update_or_create(user=user, defaults={"columns": cleaned})
    return cleaned


def saved_view_query(query: str) -> str:
    """The part of a list's query string a saved view keeps: filters, sort, page size."""
    data = QueryDict(query or "", mutable=True)
    for key in NOT_SAVED_PARAMS:
        data.pop(key, None)
    for key in list(data.keys()):
        values = [value for value in data.getlist(key) if value != ""]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    encoded = data.urlencode()
    if len(encoded) > QUERY_MAX_LENGTH:
        raise ValidationError(_("These filters are too long to save; remove some first."))
    return encoded


def _clean_name(name: str, *, owner, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Enter a name for the view.")})
    limit = SavedCustomerView.NAME_MAX_LENGTH
    if len(name) > limit:
        raise ValidationError(
            {"name": _("Keep the name to %(max)d characters or fewer.") % {"max": limit}}
        )
    clash = SavedCustomerView.objects.filter(owner=owner, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("You already have a view named “%(name)s”.") % {"name": name}}
        )
    return name


def _require_owner(view: SavedCustomerView, user) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied(_("This view is not yours."))


def _clear_other_defaults(*, owner, keep_pk: int) -> None:
    SavedCustomerView.objects.filter(owner=owner, is_default=True).exclude(pk=keep_pk).update(
        is_default=False
    )


@transaction.atomic
def saved_view_create(
    *, user, name: str, query: str, columns, is_default: bool = False
) -> SavedCustomerView:
    name = _clean_name(name, owner=user)
    view = SavedCustomerView(
        owner=user,
        name=name,
        query=saved_view_query(query),
        columns=clean_columns(columns, user),
        is_default=False,
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:  # the same name saved twice at once
        raise ValidationError(
            {"name": _("You already have a view named “%(name)s”.") % {"name": name}}
        ) from exc
    if is_default:
        saved_view_set_default(view=view, user=user, is_default=True)
    return view


@transaction.atomic
def saved_view_rename(*, view: SavedCustomerView, user, name: str) -> SavedCustomerView:
    _require_owner(view, user)
    view.name = _clean_name(name, owner=user, exclude_pk=view.pk)
    view.save(update_fields=["name", "updated_at"])
    return view


@transaction.atomic
def saved_view_set_default(
    *, view: SavedCustomerView, user, is_default: bool = True
) -> SavedCustomerView:
    """Make ``view`` the one that opens when its owner visits the list (or stop it)."""
    _require_owner(view, user)
    if is_default:
        _clear_other_defaults(owner=user, keep_pk=view.pk)
    view.is_default = is_default
    view.save(update_fields=["is_default", "updated_at"])
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedCustomerView, user) -> None:
    _require_owner(view, user)
    view.delete()


def saved_view_open(*, view: SavedCustomerView, user) -> list[str]:
    """Opening a view shows its columns, and they stay the user's choice afterwards."""
    _require_owner(view, user)
    return list_columns_remember(user=user, columns=view.columns)
