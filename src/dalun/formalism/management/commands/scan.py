"""``dalun scan [--campaign KEY] [--json]``: run the formalism scan now and print what it found."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dalun.formalism.choices import AlertStatus
from dalun.formalism.models import Alert
from dalun.formalism.services import scan_all
from dalun.org.policy import SYSTEM


class Command(BaseCommand):
    help = "Run the formalism scan over one campaign (or all) and print counts per kind and the open alerts."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="a campaign key (default: every campaign)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument("--limit", type=int, default=20, help="open alerts listed per campaign")

    def handle(self, *args, **options):
        try:
            runs = scan_all(actor=SYSTEM, campaign_key=options["campaign"])
        except ValidationError as error:
            raise CommandError(f"no campaign with the key {options['campaign']}") from error
        report = []
        for run in runs:
            alerts = (
                Alert.objects.filter(campaign=run.campaign, status=AlertStatus.OPEN)
                .select_related("unit")
                .order_by("kind", "-score", "pk")
            )
            report.append(
                {
                    "campaign": run.campaign.key if run.campaign else None,
                    "scan": run.pk,
                    "counts": run.counts,
                    "open": alerts.count(),
                    "alerts": [
                        {
                            "id": alert.pk,
                            "kind": alert.kind,
                            "rule": alert.rule,
                            "unit": alert.unit.name,
                            "unit_code": alert.unit.code,
                            "score": alert.score,
                        }
                        for alert in alerts[: options["limit"]]
                    ],
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for entry in report:
            counts = entry["counts"]
            self.stdout.write(f"campaign {entry['campaign']}: scan {entry['scan']}")
            for key, value in counts.items():
                self.stdout.write(f"  {key}: {value}")
            self.stdout.write(f"  open alerts: {entry['open']}")
            for alert in entry["alerts"]:
                self.stdout.write(
                    f"  #{alert['id']} {alert['kind']}/{alert['rule']} {alert['unit']} "
                    f"({alert['unit_code']}) score {alert['score']:.2f}"
                )
