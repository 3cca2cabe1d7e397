import io

import factory
from PIL import Image

from carecrm.core.models import SenderBrand


def picture(format: str = "PNG", size: tuple[int, int] = (64, 64), colour="#d6485e") -> bytes:
    """A real picture of the given format and size, made by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format)
    return buffer.getvalue()


class SenderBrandFactory(factory.django.DjangoModelFactory):
    """The one brand row (pk 1): a second call changes it rather than adding another."""

    class Meta:
        model = SenderBrand
        django_get_or_create = ("id",)

    id = SenderBrand.SINGLETON_PK
    company_name = "悦享生活"
    sms_signature = "悦享生活"
    contact_line = "客服热线 400-820-8820（工作日 9:00–18:00）"
