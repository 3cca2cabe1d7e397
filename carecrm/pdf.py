"""PDF documents (budget tables, event reviews, reports) from Django templates, laid out by
WeasyPrint with the Noto CJK fonts embedded, so Chinese text prints as itself on any
reader — not as boxes, and not depending on fonts the reader happens to have."""

from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """The template (which extends ``pdf/base.html``) rendered in ``language`` (the
    active one by default) as PDF bytes."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override(language or translation.get_language()):
        html = render_to_string(template_name, context)
    # A report fetches nothing: an address in user text (a venue link, a payee) must not
    # make the server call out, or read a local file, while printing. Inline data (a
    # chart, a QR code) is fine.
    no_fetching = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=no_fetching).write_pdf()
