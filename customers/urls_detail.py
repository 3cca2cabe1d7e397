"""URLs of the customer page and the screens that keep a record (under ``/customers/``)."""

from django.urls import path

from customers.views import calling, detail

urlpatterns = [
    path("new/", detail.customer_create, name="create"),
    path("follow-ups/", detail.follow_ups, name="follow-ups"),
    path("tags/suggest/", calling.tag_suggestions_view, name="tag-suggestions"),
    path("<int:pk>/", detail.customer_detail, name="detail"),
    path("<int:pk>/phone/", calling.phone_reveal_view, name="phone-reveal"),
    path("<int:pk>/timeline/", detail.customer_timeline_page, name="timeline"),
    path("<int:pk>/edit/", detail.customer_edit, name="edit"),
    path("<int:pk>/consents/", detail.consents_manage, name="consents"),
    path("<int:pk>/interactions/new/", detail.interaction_log, name="interaction-log"),
    path("<int:pk>/orders/new/", detail.order_add, name="order-add"),
    path("<int:pk>/intent/new/", detail.intent_add, name="intent-add"),
    path("<int:pk>/contacts/new/", detail.contact_person_add, name="contact-person-add"),
    path("contacts/<int:pk>/edit/", detail.contact_person_edit, name="contact-person-edit"),
    path("contacts/<int:pk>/remove/", detail.contact_person_remove, name="contact-person-remove"),
    path(
        "interactions/<int:pk>/resolve/",
        detail.interaction_resolve,
        name="interaction-resolve",
    ),
]
