"""Surveys as delivery senders. Each survey has up to two ``MessageSource`` rows:

- ``survey`` (care): the invitation, occasion = the day it was sent;
- ``survey_reminder`` (care): the one reminder to a customer who has not answered,
  occasion = the day of the reminder.

The texts carry the customer's personal link (``feedback.tokens``); delivery makes it a
short tracked link and adds the opt-out. A closed survey's queued messages are cancelled.
"""

from django.conf import settings
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.channels import Channel
from delivery.models import MessageClass, MessageSource, OutboxMessage, SourceState
from delivery.registry import Rendered, SourceKind, register_source_kind
from feedback.models import Survey, SurveyInvitation, SurveyStatus
from feedback.tokens import survey_url

SURVEY_INVITATION = "survey"
SURVEY_REMINDER = "survey_reminder"
KINDS = (SURVEY_INVITATION, SURVEY_REMINDER)


def survey_title(survey: Survey, language: str = "") -> str:
    """The survey's title in ``language`` (the active one when empty)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if language.startswith("en") and survey.title_en:
        return survey.title_en
    return survey.title


def source_state(survey: Survey) -> str:
    return SourceState.CANCELLED if survey.status == SurveyStatus.CLOSED else SourceState.ACTIVE


def survey_source(survey: Survey, kind: str) -> MessageSource:
    from delivery.services.sources import source_for

    return source_for(
        kind=kind,
        object_id=survey.pk,
        label=survey.title,
        department=survey.department,
        state=source_state(survey),
    )


def survey_messages(survey: Survey):
    return OutboxMessage.objects.filter(source__kind__in=KINDS, source__object_id=survey.pk)


def _survey_saved(sender, instance: Survey, created: bool, **kwargs) -> None:
    if created:
        return
    from delivery.services.sources import source_update

    for kind in KINDS:
        source_update(
            kind=kind,
            object_id=instance.pk,
            label=instance.title,
            department=instance.department,
            state=source_state(instance),
        )


def _texts(kind: str, invitation: SurveyInvitation, brand) -> tuple[str, str]:
    values = {
        "name": invitation.customer.name,
        "title": survey_title(invitation.survey),
        "link": survey_url(invitation),
        "company": brand.company_name,
    }
    if kind == SURVEY_REMINDER:
        subject = _("Reminder: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, we would still love to hear from you: %(title)s takes about "
                "a minute. %(link)s"
            )
            % values
        )
    else:
        subject = _("Your opinion: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, %(company)s would like to know how we are doing. Please "
                "answer %(title)s, it takes about a minute: %(link)s"
            )
            % values
        )
    return subject, body


def render_survey_messages(source: MessageSource, messages: list[OutboxMessage]) -> dict:
    """Each message's text with the customer's own link."""
    from carecrm.core.branding.selectors import current_brand

    invitations = {
        invitation.customer_id: invitation
        for invitation in SurveyInvitation.objects.filter(
            survey_id=source.object_id, customer_id__in=[m.customer_id for m in messages]
        ).select_related("survey", "customer")
    }
    brand = current_brand()
    result: dict = {}
    with translation.override(settings.LANGUAGE_CODE):
        for message in messages:
            invitation = invitations.get(message.customer_id)
            if invitation is None:
                result[message.pk] = "the customer is no longer invited to the survey"
                continue
            subject, body = _texts(source.kind, invitation, brand)
            if message.channel == Channel.SMS:
                body = brand.signature_tag + body
            result[message.pk] = Rendered(subject=subject, body=body)
    return result


def _survey_url(source: MessageSource) -> str:
    return reverse("feedback:survey", args=[source.object_id])


def register() -> None:
    for key, label in (
        (SURVEY_INVITATION, gettext_lazy("Survey invitations")),
        (SURVEY_REMINDER, gettext_lazy("Survey reminders")),
    ):
        register_source_kind(
            SourceKind(
                key=key,
                label=label,
                render=render_survey_messages,
                url=_survey_url,
                message_class=MessageClass.CARE,
            )
        )
    post_save.connect(_survey_saved, sender=Survey, dispatch_uid="survey_sources")
