import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns.models import DeliveryChannel
from campaigns.services.dispatch import touches_dispatch
from delivery.services.sending import messages_send


class Command(BaseCommand):
    help = (
        "Dispatch a day's due care touches into the outbox and send what is due now — what "
        "beat does every few minutes, for operators (safe to run again: nothing is written "
        "or sent twice)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="local date YYYY-MM-DD to dispatch (default: today)")
        parser.add_argument("--no-dispatch", action="store_true", help="only send")
        parser.add_argument("--no-send", action="store_true", help="only dispatch")
        parser.add_argument("--channel", choices=DeliveryChannel.values, help="send one channel")
        parser.add_argument(
            "--seconds", type=float, default=50, help="stop sending after this long (50)"
        )

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["day"]) if options["day"] else None
        except ValueError as exc:
            raise CommandError(f"--day must be YYYY-MM-DD: {exc}") from exc
        if options["seconds"] <= 0:
            raise CommandError("--seconds must be positive")
        if not options["no_dispatch"]:
            day = day or timezone.localdate()
            result = touches_dispatch(on=day)
            reasons = ", ".join(f"{k}: {n}" for k, n in sorted(result.suppressed.items()) if n)
            self.stdout.write(
                f"Dispatched {day}: {result.queued} queued ({result.deferred} deferred by quiet "
                f"hours), {result.suppressed_total} suppressed"
                + (f" ({reasons})" if reasons else "")
                + "."
            )
        if not options["no_send"]:
            report = messages_send(channel=options["channel"], seconds=options["seconds"])
            self.stdout.write(
                f"Sent {report.sent}, retrying {report.retried}, failed {report.failed}, "
                f"suppressed {report.suppressed}, deferred {report.deferred}."
            )
