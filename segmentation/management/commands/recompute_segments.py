from django.core.management.base import BaseCommand, CommandError

from segmentation.models import RunTrigger
from segmentation.services.scoring import ScoringBusy, scoring_run


class Command(BaseCommand):
    help = "Score every active customer now under the tier policy in force and print counts."

    def handle(self, *args, **options):
        try:
            run = scoring_run(trigger=RunTrigger.MANUAL)
        except ScoringBusy as exc:
            raise CommandError(str(exc)) from exc
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"Policy v{run.policy.version}: scored {run.customers_scored} customers in "
            f"{seconds:.1f} s; updated {run.customers_changed}; "
            f"value tier changes {run.tier_changes}; VIP level changes {run.level_changes}."
        )
        for column, counts in run.distribution.items():
            figures = ", ".join(f"{value or '-'}: {n}" for value, n in sorted(counts.items()))
            self.stdout.write(f"  {column}: {figures}")
