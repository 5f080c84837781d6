"""``dalun demo``: prepare the embedded database with the demo province, print the accounts, serve."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dalun.demo.campaign import ensure_campaign
from dalun.demo.formalism import ensure_formalism
from dalun.demo.ledgers import ensure_ledgers, ensure_xiaodian_ledger
from dalun.demo.personas import DEMO_PASSWORD, PERSONAS, ensure_personas
from dalun.demo.province import load_province
from dalun.demo.suggestions import ensure_suggestions
from dalun.demo.supervision import ensure_supervision
from dalun.opinions.demo import ensure_opinion_map
from dalun.web.management.commands.compiletranslations import compile_catalogues


class Command(BaseCommand):
    help = "Load the demo province (idempotent), print one account per role and serve on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load and print, but do not serve")
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        started = time.monotonic()
        compile_catalogues()
        call_command("migrate", verbosity=0, interactive=False)
        added = load_province()
        ensure_personas()
        campaign = ensure_campaign()
        measures = ensure_ledgers(campaign)
        ensure_xiaodian_ledger(campaign)
        ensure_suggestions(campaign)
        ensure_opinion_map(campaign)
        ensure_supervision(campaign)
        formalism = ensure_formalism(campaign)
        self.stdout.write(
            f"Demo ready in {time.monotonic() - started:.1f} s: {added} units added, "
            f"campaign '{campaign.key}' deployed to the province, {measures} demo measures.\n"
        )
        self.stdout.write(formalism)
        self.stdout.write(f"Accounts (password for all: {DEMO_PASSWORD}):")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.username:<20} {persona.description}")
        if not options["no_serve"]:
            self.stdout.write(f"\nOpen http://{options['addrport']}/ (Ctrl-C to stop)\n")
            call_command("serve", options["addrport"])
