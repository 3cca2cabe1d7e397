"""Forms of the event pages: input validation of one screen each; the rules themselves
live in the services."""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department, User
from carecrm.core.scoping import department_choices_for
from events.models import Event, EventGoal, EventTask, Milestone, TeamRole
from events.selectors.events import team_candidates
from events.services.events import EDITABLE_FIELDS, EDITABLE_RELATIONS, GOAL_FIELDS
from segmentation.forms import offer_segments

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

SHIFT_CHOICES = [
    ("", _("—")),
    ("shift", _("Move the open milestones by the same number of days")),
    ("keep", _("Keep the milestones' dates")),
]


class EventForm(forms.ModelForm):
    online_link = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    shift_milestones = forms.ChoiceField(
        label=_("When the date moves"), choices=SHIFT_CHOICES, required=False
    )

    class Meta:
        model = Event
        fields = [*EDITABLE_FIELDS, *EDITABLE_RELATIONS]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "target_segments": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user, segment: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        offer_segments(self.fields["target_segments"], user)
        self.fields["target_segments"].help_text = _(
            "Who the event is for; the type's suggestions above name matching segments."
        )
        self.fields["department"].queryset = department_choices_for(user, Department.objects.all())
        owners = User.objects.filter(is_active=True)
        if not user.is_admin_role:
            owners = owners.filter(department_id=user.department_id)
        self.fields["owner"].queryset = owners.order_by("username")
        self.fields["owner"].required = False
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = DATETIME_FORMATS
        self.fields["type"].widget.attrs["class"] = "js-event-type"
        if not self.instance.pk:
            self.initial.setdefault("department", user.department_id)
            self.initial.setdefault("owner", user.pk)
            # "Use in a new …" on a segment's page: ?segment=<id> comes preselected.
            if segment and segment.isdigit() and not self.is_bound:
                chosen = self.fields["target_segments"].queryset.filter(pk=int(segment))
                self.initial["target_segments"] = list(chosen.values_list("pk", flat=True))
            del self.fields["shift_milestones"]
        else:
            self.fields["shift_milestones"].help_text = _(
                "Asked only when the start date moves and milestones are still open."
            )

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in EDITABLE_FIELDS}

    def service_relations(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_RELATIONS}

    def shift_choice(self) -> bool | None:
        return {"shift": True, "keep": False}.get(self.cleaned_data.get("shift_milestones") or "")


class GoalForm(forms.ModelForm):
    class Meta:
        model = EventGoal
        fields = list(GOAL_FIELDS)
        widgets = {"deadline": DATE}


GoalFormSet = inlineformset_factory(
    Event, EventGoal, form=GoalForm, extra=1, can_delete=True, max_num=10, validate_max=True
)


def goal_payload(formset) -> tuple[list[dict], list[int]]:
    """The formset's goals as the service takes them: kept ones, and ids to delete."""
    goals, delete = [], []
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        data = form.cleaned_data
        if not data:
            continue
        if data.get("DELETE"):
            if form.instance.pk:
                delete.append(form.instance.pk)
            continue
        goals.append({"id": form.instance.pk, **{k: data.get(k) for k in GOAL_FIELDS}})
    return goals, delete


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class MilestoneForm(forms.ModelForm):
    done = forms.BooleanField(label=_("Done"), required=False)

    class Meta:
        model = Milestone
        fields = ["name", "phase", "starts_on", "due_on", "owner", "notes"]
        widgets = {"starts_on": DATE, "due_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_candidates(user, event)
        if self.instance.pk:
            self.initial["done"] = self.instance.done_at is not None


class TaskForm(forms.ModelForm):
    class Meta:
        model = EventTask
        fields = ["title", "role", "milestone", "owner", "due_on", "status", "notes"]
        widgets = {"due_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_candidates(user, event)
        self.fields["milestone"].queryset = event.milestones.all()


class TeamMemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)
    user = forms.ModelChoiceField(label=_("Member"), queryset=User.objects.none())

    def __init__(self, *args, user, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = team_candidates(user, event)
