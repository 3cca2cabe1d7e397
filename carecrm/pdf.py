"""PDF documents (budget tables, event reviews, reports) from Django templates, laid out by
WeasyPrint with the Noto CJK fonts embedded, so Chinese text prints as itself on any
reader — not as boxes, and not depending on fonts the reader happens to have."""

from django.template.loader import render_to_string
from django.utils import translation


class ExternalResourceRefused(ValueError):
    pass


def _no_network(url: str, *args, **kwargs):
    """A report never fetches anything: an address in user text (a venue link, a payee)
    must not make the server call out while printing."""
    raise ExternalResourceRefused(f"PDF reports load no external resources: {url}")


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """The template (which extends ``pdf/base.html``) rendered in ``language`` (the
    active one by default) as PDF bytes."""
    from weasyprint import HTML

    with translation.override(language or translation.get_language()):
        html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=_no_network).write_pdf()
