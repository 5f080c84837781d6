"""``dalun fetchassets``: install the front-end libraries of web/assets.json into static/vendor/.

Run once at setup (before ``collectstatic``); a second run downloads nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from dalun.web.assets import LOCK_PATH, STATIC_DIR, TIMEOUT_SECONDS, AssetError, install_assets


class Command(BaseCommand):
    help = "Download the front-end libraries listed in web/assets.json from the npm registry, verified."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds to wait for the registry"
        )

    def handle(self, *args, **options):
        try:
            written = install_assets(LOCK_PATH, STATIC_DIR, timeout=options["timeout"])
        except AssetError as error:
            raise CommandError(str(error)) from None
        if not written:
            self.stdout.write("front-end assets up to date")
        for path in written:
            self.stdout.write(f"fetched {path.relative_to(STATIC_DIR)}")
