"""``dalun opinion-map DIR [--json OUT]``: the opinion map of a Pol.is export folder, on the command line.

Reads ``comments.csv`` and ``votes.csv`` (checked as the import checks them), computes the map with the same
engine and the same selection the pages show, and prints the groups with their representative statements,
the consensus statements and the group-informed consensus, each in the statement's own text. Needs no
database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dalun.engines.opinion_map import compute_opinion_map
from dalun.opinions.analysis import display_data
from dalun.opinions.polis_files import PolisImportError, files_from_folder, parse_export


class Command(BaseCommand):
    help = "Compute the opinion map of a Pol.is export folder and print its groups and consensus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="a Pol.is export folder (comments.csv, votes.csv ...)")
        parser.add_argument("--json", dest="json_out", help="also write the result as JSON to this file")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(_("%(folder)s is not a folder.") % {"folder": folder})
        try:
            parsed = parse_export(files_from_folder(folder))
        except PolisImportError as refused:
            raise CommandError("\n".join(str(error) for error in refused.errors)) from None
        export = parsed.export
        votes, participant_ids, comment_ids = export.vote_matrix()
        moderated_out = export.moderated_out(comment_ids)
        result = compute_opinion_map(votes, moderated_out=moderated_out, seed=options["seed"])
        display = display_data(result, votes, moderated_out)
        text = {comment.id: comment.body for comment in export.comments}

        def statement(row: dict[str, Any]) -> dict[str, Any]:
            cid = int(comment_ids[row["column"]])
            shown = {key: value for key, value in row.items() if key != "column"}
            return {"comment_id": cid, "text": text.get(cid, ""), **shown}

        report = {
            "topic": parsed.topic or folder.name,
            "participants": int(participant_ids.size),
            "voters_grouped": display["clustered"],
            "statements": int(comment_ids.size),
            "moderated_out": int(moderated_out.sum()),
            "votes": display["votes"],
            "groups": [
                {
                    "id": group["id"],
                    "label": group["label"],
                    "size": group["size"],
                    "representative": [statement(row) for row in group["representative"]],
                }
                for group in display["groups"]
            ],
            "consensus": [statement(row) for row in display["consensus"]],
            "group_informed_consensus": [statement(row) for row in display["informed_consensus"]],
        }
        self._print(report)
        if options["json_out"]:
            Path(options["json_out"]).write_text(
                json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            self.stdout.write(_("Written to %(path)s") % {"path": options["json_out"]})

    def _print(self, report: dict[str, Any]) -> None:
        write = self.stdout.write
        write(report["topic"])
        write(
            _(
                "%(participants)s participants (%(grouped)s in groups), %(statements)s statements "
                "(%(out)s moderated out), %(votes)s votes"
            )
            % {
                "participants": report["participants"],
                "grouped": report["voters_grouped"],
                "statements": report["statements"],
                "out": report["moderated_out"],
                "votes": report["votes"],
            }
        )
        grouped = sum(group["size"] for group in report["groups"]) or 1
        for group in report["groups"]:
            write("")
            write(
                _("Group %(label)s: %(size)s participants (%(percent)s%%)")
                % {
                    "label": group["label"],
                    "size": group["size"],
                    "percent": round(100 * group["size"] / grouped),
                }
            )
            for row in group["representative"]:
                write(f"  {self._stance(row)}  {row['text']}")
        write("")
        write(_("Consensus:"))
        for row in report["consensus"] or []:
            write(f"  {self._stance(row)}  {row['text']}")
        if not report["consensus"]:
            write("  " + _("none"))
        write("")
        write(_("Group-informed consensus:"))
        for row in report["group_informed_consensus"]:
            write(f"  {row['score']:.3f}  {row['text']}")

    @staticmethod
    def _stance(row: dict[str, Any]) -> str:
        word = _("agree") if row["direction"] == "agree" else _("disagree")
        return f"{word} {round(100 * row['share'])}% ({row['n_success']}/{row['n_trials']})"
