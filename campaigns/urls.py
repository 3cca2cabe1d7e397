from django.urls import path

from campaigns.views import (
    approvals,
    calendar,
    campaigns,
    content,
    coupons,
    delivery,
    library,
    tasks,
)

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_list_view, name="list"),
    path("new/", campaigns.campaign_create_view, name="create"),
    path("<int:pk>/", campaigns.campaign_detail_view, name="detail"),
    path("<int:pk>/edit/", campaigns.campaign_edit_view, name="edit"),
    path("<int:pk>/submit/", campaigns.campaign_submit_view, name="submit"),
    path("<int:pk>/pause/", campaigns.campaign_pause_view, name="pause"),
    path("<int:pk>/resume/", campaigns.campaign_resume_view, name="resume"),
    path("<int:pk>/finish/", campaigns.campaign_finish_view, name="finish"),
    path("<int:pk>/review/", approvals.review_view, name="review"),
    path("<int:pk>/content/<str:channel>/", content.content_edit_view, name="content"),
    path(
        "<int:pk>/content/<str:channel>/preview/",
        content.content_preview_view,
        name="content-preview",
    ),
    path(
        "<int:pk>/content/<str:channel>/remove/",
        content.content_remove_view,
        name="content-remove",
    ),
    path("<int:pk>/content/<str:channel>/move/", content.content_move_view, name="content-move"),
    path("<int:pk>/coupon/", content.coupon_batch_view, name="coupon-batch"),
    path("<int:pk>/coupons/", content.campaign_coupons_view, name="coupons"),
    path("approvals/", approvals.approval_queue_view, name="approvals"),
    path("calendar/", calendar.calendar_view, name="calendar"),
    path("holidays/", calendar.holidays_view, name="holidays"),
    path("company-days/new/", calendar.company_day_create_view, name="company-day-create"),
    path(
        "company-days/<int:pk>/delete/",
        calendar.company_day_delete_view,
        name="company-day-delete",
    ),
    path("tasks/", tasks.task_list_view, name="tasks"),
    path("tasks/<int:pk>/", tasks.task_detail_view, name="task"),
    path("coupons/redeem/", coupons.redeem_view, name="redeem"),
    path("templates/", library.template_list_view, name="templates"),
    path("templates/new/", library.template_edit_view, name="template-create"),
    path("templates/<int:pk>/edit/", library.template_edit_view, name="template-edit"),
    path("templates/<int:pk>/delete/", library.template_delete_view, name="template-delete"),
    # delivery figures of a campaign (the engine's own pages are under /delivery/)
    path("<int:pk>/delivery/", delivery.campaign_delivery_card_view, name="delivery-card"),
    path("<int:pk>/messages/", delivery.campaign_messages_view, name="messages"),
]
