"""The sender brand: one page where an admin names the company, its SMS signature,
contact line and logo; what bad input is told; who may open it; how it is read."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from carecrm.core.branding.selectors import current_brand
from carecrm.core.branding.services import sender_brand_update
from carecrm.core.demo import DEMO_CONTACT_LINE, seed_brand
from carecrm.core.models import AuditAction, AuditEntry, SenderBrand
from carecrm.core.tests.factories import SenderBrandFactory, picture

pytestmark = pytest.mark.django_db
URL = "/settings/brand/"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def _post(client, **fields):
    data = {
        "company_name": "悦享生活",
        "sms_signature": "悦享生活",
        "contact_line": "客服热线 400-820-8820",
        **fields,
    }
    return client.post(URL, data)


def _upload(data: bytes, name: str = "logo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


class TestTheBrandForm:
    @pytest.mark.parametrize(
        ("signature", "message"),
        [
            ("【悦享生活】", "Type the signature without brackets: 悦享生活, not 【悦享生活】."),
            ("[悦享]", "Type the signature without brackets: 悦享生活, not 【悦享生活】."),
            ("   ", "The signature cannot be only spaces. Leave it empty or type the name."),
            ("悦", "The signature needs 2 to 16 characters; this one has 1."),
            ("悦" * 17, "The signature needs 2 to 16 characters; this one has 17."),
        ],
    )
    def test_it_rejects_a_bad_signature_with_what_is_wrong(
        self, admin_client_user, signature, message
    ):
        response = _post(admin_client_user, sms_signature=signature)

        assert response.status_code == 200
        assert _errors(response, "sms_signature") == [message]
        assert not SenderBrand.objects.exists()

    def test_it_rejects_a_file_that_is_not_a_picture(self, admin_client_user):
        response = _post(admin_client_user, logo=_upload(b"%PDF-1.7 not a picture", "logo.png"))

        assert _errors(response, "logo") == [
            "This file cannot be opened as a picture. Upload a PNG, JPEG or WebP logo."
        ]

    def test_it_rejects_an_svg_even_named_png(self, admin_client_user):
        for upload in (_upload(SVG, "logo.svg", "image/svg+xml"), _upload(SVG, "logo.png")):
            response = _post(admin_client_user, logo=upload)

            assert _errors(response, "logo") == [
                "SVG logos are not accepted (they can carry scripts). Upload a PNG, JPEG or WebP."
            ]

    def test_it_rejects_a_logo_over_256_kb(self, admin_client_user):
        big = picture("PNG") + b"\0" * (256 * 1024)

        response = _post(admin_client_user, logo=_upload(big))

        assert _errors(response, "logo") == [
            "The logo may be at most 256 KB; this file has 257 KB."
        ]

    def test_it_rejects_a_logo_over_1024_pixels(self, admin_client_user):
        response = _post(admin_client_user, logo=_upload(picture("PNG", size=(1025, 40))))

        assert _errors(response, "logo") == [
            "The logo may be at most 1024×1024 pixels; this one is 1025×40."
        ]

    def test_it_rejects_a_gif(self, admin_client_user):
        response = _post(admin_client_user, logo=_upload(picture("GIF"), "logo.gif", "image/gif"))

        assert _errors(response, "logo") == [
            "GIF pictures are not accepted. Upload a PNG, JPEG or WebP logo."
        ]

    def test_a_mistake_keeps_everything_else_typed_including_the_chosen_logo(
        self, admin_client_user
    ):
        logo = picture("WEBP")

        response = _post(
            admin_client_user,
            company_name="好物商城",
            sms_signature="【好物】",
            contact_line="热线 400-000-0000",
            logo=_upload(logo, "logo.webp", "image/webp"),
        )

        body = response.content.decode()
        assert 'value="好物商城"' in body and 'value="热线 400-000-0000"' in body
        assert 'value="【好物】"' in body
        kept = response.context["kept_logo"]["base64"]
        assert f'name="pending_logo" value="{kept}"' in body

        response = _post(
            admin_client_user,
            company_name="好物商城",
            sms_signature="好物",
            contact_line="热线 400-000-0000",
            pending_logo=kept,
        )

        assert response.status_code == 302
        saved = SenderBrand.objects.get()
        assert (saved.company_name, saved.sms_signature) == ("好物商城", "好物")
        assert bytes(saved.logo) == logo and saved.logo_content_type == "image/webp"


class TestWhoMayChangeTheBrand:
    @pytest.mark.parametrize("client_fixture", ["staff_a_client", "manager_a_client"])
    def test_staff_and_managers_get_403(self, request, client_fixture):
        client = request.getfixturevalue(client_fixture)

        assert client.get(URL).status_code == 403
        assert _post(client).status_code == 403
        assert not SenderBrand.objects.exists()

    def test_only_admins_see_it_in_the_navigation(self, admin_client_user, staff_a_client):
        assert 'data-nav="brand"' in admin_client_user.get("/").content.decode()
        assert 'data-nav="brand"' not in staff_a_client.get("/").content.decode()

    def test_saving_records_who_and_when(self, admin_client_user, admin_user):
        response = _post(admin_client_user, logo=_upload(picture("PNG")))

        assert response.status_code == 302
        brand = SenderBrand.objects.get()
        assert brand.updated_by == admin_user and brand.updated_at is not None
        entry = AuditEntry.objects.get(object_type="core.senderbrand")
        assert (entry.actor, entry.action) == (admin_user, AuditAction.CHANGE)
        assert entry.detail["sms_signature"] == ["", "悦享生活"]
        page = admin_client_user.get(URL).content.decode()
        assert "Last changed" in page and str(admin_user) in page


class TestTheLogo:
    def test_its_url_serves_the_bytes_with_their_type_for_a_year(self, client, admin_user):
        logo = picture("JPEG")
        sender_brand_update(company_name="悦享生活", sms_signature="", logo=logo, user=admin_user)
        url = current_brand().logo_url

        response = client.get(url)

        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response.content == logo
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"

    def test_a_new_logo_gets_a_new_url_and_the_old_one_is_gone(self, client, admin_user):
        sender_brand_update(
            company_name="悦享生活", sms_signature="", logo=picture("PNG"), user=admin_user
        )
        old = current_brand().logo_url
        sender_brand_update(
            company_name="悦享生活",
            sms_signature="",
            logo=picture("PNG", colour="blue"),
            user=admin_user,
        )

        assert current_brand().logo_url != old
        assert client.get(old).status_code == 404

    def test_an_admin_can_remove_it(self, admin_client_user, admin_user):
        sender_brand_update(
            company_name="悦享生活", sms_signature="", logo=picture("PNG"), user=admin_user
        )
        url = current_brand().logo_url

        _post(admin_client_user, remove_logo="on")

        assert current_brand().logo_url == ""
        assert admin_client_user.get(url).status_code == 404


class TestReadingTheBrand:
    def test_never_edited_it_is_the_sender_name_without_a_signature(self, settings):
        settings.DEFAULT_FROM_EMAIL = "好物商城 <care@example.cn>"
        assert current_brand().company_name == "好物商城"
        assert current_brand().signature_tag == ""

        settings.DEFAULT_FROM_EMAIL = "care@example.cn"
        assert current_brand().company_name == "CareCRM"

    def test_it_costs_one_query_and_never_reads_the_logo(self, django_assert_num_queries):
        SenderBrandFactory(logo=picture("PNG"), logo_content_type="image/png", logo_version="a1")

        with django_assert_num_queries(1) as queries:
            brand = current_brand()

        assert '"logo"' not in queries.captured_queries[0]["sql"].replace('"logo_', "")
        assert brand.signature_tag == "【悦享生活】"
        assert brand.logo_url == reverse("brand:logo", args=["a1"])

    def test_pages_that_do_not_show_it_do_not_read_it(self, admin_client_user):
        with CaptureQueriesContext(connection) as queries:
            admin_client_user.get("/")
        assert queries.captured_queries
        assert not any("core_senderbrand" in q["sql"] for q in queries.captured_queries)


def test_demo_brand_is_the_same_after_a_second_seed(admin_user):
    for _ in range(2):
        seed_brand(rng=None, options={"users": [admin_user]}, stdout=io.StringIO())

    brand = SenderBrand.objects.get()
    assert (brand.company_name, brand.sms_signature) == ("悦享生活", "悦享生活")
    assert brand.contact_line == DEMO_CONTACT_LINE
    assert brand.updated_by == admin_user
    with Image.open(io.BytesIO(bytes(brand.logo))) as logo:
        assert (logo.format, logo.size) == ("PNG", (128, 128))


def test_a_company_name_with_a_line_break_is_refused(admin_client_user):
    response = admin_client_user.post(
        "/settings/brand/",
        {"company_name": "悦享\r\nBcc: x@example.com", "sms_signature": "悦享生活"},
    )
    assert response.status_code == 200
    assert "line break" in response.content.decode()
