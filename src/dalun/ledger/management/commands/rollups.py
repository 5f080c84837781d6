"""``dalun rollups verify|rebuild``: prove the dashboards' aggregates exact, or restore them from the rows."""

from django.core.management.base import BaseCommand, CommandError

from dalun.campaigns.models import Campaign
from dalun.ledger import rollups


class Command(BaseCommand):
    help = "verify: recompute every aggregate from the rows and report differences; rebuild: replace them."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "rebuild"])
        parser.add_argument("--campaign", help="a campaign key (default: every campaign)")

    def handle(self, *args, **options):
        campaign_id = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(key=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"no campaign with the key {options['campaign']}")
            campaign_id = campaign.pk
        if options["action"] == "rebuild":
            rollups.rebuild(campaign_id=campaign_id)
            self.stdout.write("rollups rebuilt from the rows")
            return
        found = rollups.differences(campaign_id=campaign_id)
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(
                f"{len(found)} aggregate(s) differ from the rows (run `dalun rollups rebuild`)"
            )
        self.stdout.write("rollups exact")
