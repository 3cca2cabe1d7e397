"""Demo surveys (``seed_demo``): per department the quarter's VIP survey, open, with its
VIPs invited and most of them answered (online, by phone, face to face), an open
after-service survey waiting for resolved complaints, and a draft after-purchase survey.
Invitations are written directly, without messages; answers go through
``response_submit`` so everything that listens to them sees them. Skipped when surveys
exist."""

import random

from feedback.models import QuestionKind, ResponseSource, Survey, SurveyInvitation, SurveyKind
from feedback.selectors.surveys import survey_questions
from feedback.services.distribution import vip_customers, vip_survey_for_quarter
from feedback.services.responses import response_submit
from feedback.services.surveys import survey_create, survey_open

COMMENTS = [
    "",
    "",
    "",
    "服务很周到，谢谢！",
    "希望门店等待时间短一些。",
    "产品质量不错。",
    "顾问很专业。",
]


def _answers(rng: random.Random, questions) -> dict:
    answers = {}
    for question in questions:
        if question.kind == QuestionKind.RATING:
            answers[question.pk] = rng.choices([2, 3, 4, 5], weights=[1, 2, 5, 6])[0]
        elif question.kind == QuestionKind.NPS:
            answers[question.pk] = rng.choices(range(11), weights=[1] * 6 + [2, 3, 5, 6, 5])[0]
        elif question.kind == QuestionKind.SINGLE:
            answers[question.pk] = rng.choice(list(question.choices.all())).pk
        elif question.kind == QuestionKind.MULTIPLE:
            choices = list(question.choices.all())
            answers[question.pk] = [c.pk for c in rng.sample(choices, rng.randint(1, 2))]
        else:
            answers[question.pk] = rng.choice(COMMENTS)
    return answers


def seed_surveys(*, rng: random.Random, options: dict, stdout) -> None:
    from carecrm.accounts.models import Department, User

    if Survey.objects.exists():
        return
    answered = 0
    for department in Department.objects.order_by("pk"):
        staff = User.objects.filter(department=department, is_active=True).order_by("pk").first()
        vips = list(vip_customers(department).order_by("pk")[:60])
        if vips:
            survey, _created = vip_survey_for_quarter(department=department)
            SurveyInvitation.objects.bulk_create(
                [SurveyInvitation(survey=survey, customer=c, reason="VIP") for c in vips],
                ignore_conflicts=True,
            )
            questions = survey_questions(survey)
            for invitation in SurveyInvitation.objects.filter(survey=survey).select_related(
                "survey", "customer"
            ):
                if rng.random() > 0.75:
                    continue
                source = rng.choices(
                    [ResponseSource.ONLINE, ResponseSource.PHONE, ResponseSource.FACE_TO_FACE],
                    weights=[6, 3, 1],
                )[0]
                response_submit(
                    invitation=invitation,
                    answers=_answers(rng, questions),
                    source=source,
                    user=staff if source != ResponseSource.ONLINE else None,
                )
                answered += 1
        after_service = survey_create(
            user=staff,
            department=department,
            data={"kind": SurveyKind.AFTER_SERVICE},
            from_template=True,
        )
        survey_open(survey=after_service, user=staff)
        survey_create(
            user=staff,
            department=department,
            data={"kind": SurveyKind.AFTER_PURCHASE},
            from_template=True,
        )
    stdout.write(f"Surveys: {Survey.objects.count()} surveys, {answered} answers\n")
