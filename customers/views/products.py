"""The product catalogue pages: everyone who records orders reads it with its sales;
managers and admins add, correct and deactivate products."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecrm.core.forms import add_service_errors
from customers.forms_products import ProductFilterForm, ProductForm
from customers.models import Product
from customers.selectors_products import (
    PAGE_SIZE,
    product_categories,
    products_for_picker,
    products_with_sales,
)
from customers.services.products import product_create, product_set_active, product_update


@login_required
@permission_required("customers.view_product", raise_exception=True)
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET or None, categories=product_categories())
    filters = form.cleaned_data if form.is_valid() else {}
    products = products_with_sales(
        request.user,
        query=filters.get("q", ""),
        category=filters.get("category", ""),
        active=form.active() if form.is_bound and form.is_valid() else True,
    ).order_by("category", "name", "pk")
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/product_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
@permission_required("customers.view_product", raise_exception=True)
@require_GET
def product_search(request: HttpRequest) -> JsonResponse:
    """The order form's picker: active products matching ``q``."""
    return JsonResponse({"products": products_for_picker(request.GET.get("q", "")[:100])})


def _product_form(request: HttpRequest, product: Product | None) -> HttpResponse:
    initial = (
        {
            "name": product.name,
            "category": product.category,
            "sku": product.sku or "",
            "list_price": product.list_price,
            "active": product.active,
        }
        if product
        else {"active": True}
    )
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = product_create(user=request.user, request=request, **form.cleaned_data)
                messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
            else:
                product_update(
                    product=product, user=request.user, request=request, **form.cleaned_data
                )
                messages.success(request, _("Product “%(name)s” saved.") % {"name": product.name})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("customers:products")
    return render(request, "customers/product_form.html", {"form": form, "product": product})


@login_required
@permission_required("customers.add_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_add(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@login_required
@permission_required("customers.change_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form(request, get_object_or_404(Product, pk=pk))


@login_required
@permission_required("customers.change_product", raise_exception=True)
@require_POST
def product_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active product (it leaves the picker), or bring one back."""
    product = get_object_or_404(Product, pk=pk)
    product_set_active(
        product=product, active=not product.active, user=request.user, request=request
    )
    if product.active:
        messages.success(
            request, _("Product “%(name)s” is on sale again.") % {"name": product.name}
        )
    else:
        messages.success(request, _("Product “%(name)s” deactivated.") % {"name": product.name})
    return redirect("customers:products")
