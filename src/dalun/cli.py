"""The ``dalun`` command: Dalun's own commands (demo, serve, import-units ...) and every Django command.

Command names may be written with dashes (``dalun import-units``) or underscores.
"""

import os
import sys


def cli_language(environ: dict[str, str]) -> str:
    """Messages in Chinese when the shell's locale is Chinese (or DALUN_LANGUAGE says so), else English."""
    wanted = environ.get("DALUN_LANGUAGE") or environ.get("LC_ALL") or environ.get("LANG") or ""
    return "zh-hans" if wanted.lower().startswith("zh") else "en"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalun.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    translation.activate(cli_language(dict(os.environ)))

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
