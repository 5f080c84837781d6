"""``dalun audit verify [--chain KEY]``: walk the hash chains and name the first entry that is wrong."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dalun.audit.chain import Problem
from dalun.audit.selectors import audit_verify

KINDS = {
    "altered": "altered",
    "missing": "deleted",
    "inserted": "inserted",
    "relinked": "relinked",
    "head": "head",
}


class Command(BaseCommand):
    help = "Audit trail tools: 'verify' checks every hash chain and names the first bad entry."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="verify")
        verify = commands.add_parser(
            "verify", help="Check the hash chains; exit status 1 names the first bad entry."
        )
        verify.add_argument("--chain", help="Check only this chain (for example s03).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options.get("chain"))

    def verify(self, chain_key: str | None) -> None:
        report = audit_verify(chain_key=chain_key)
        if chain_key is not None and not report.chains:
            raise CommandError(_("No audit chain is called %(chain)s.") % {"chain": chain_key}, returncode=2)
        for state in report.chains:
            status = _("ok") if state.problem is None else _("BROKEN")
            self.stdout.write(
                _("chain %(chain)s: %(entries)d entries, last seq %(seq)d, head %(hash)s: %(status)s")
                % {
                    "chain": state.chain,
                    "entries": state.entries,
                    "seq": state.last_seq,
                    "hash": state.last_hash[:16],
                    "status": status,
                }
            )
        if report.ok:
            self.stdout.write(
                _("Audit trail intact: %(entries)d entries in %(chains)d chains.")
                % {"entries": report.entries, "chains": len(report.chains)}
            )
            return
        for problem in report.problems:
            self.stderr.write(describe(problem))
        first = report.problems[0]
        raise CommandError(
            _("Audit trail broken in %(count)d chain(s); first: %(problem)s")
            % {"count": len(report.problems), "problem": describe(first)},
            returncode=1,
        )


def describe(problem: Problem) -> str:
    """One line naming the chain, the sequence number, the entry id and what is wrong."""
    return _("chain %(chain)s, seq %(seq)s, entry id %(id)s: %(kind)s: %(detail)s") % {
        "chain": problem.chain,
        "seq": problem.seq if problem.seq is not None else "-",
        "id": problem.entry_id if problem.entry_id is not None else "-",
        "kind": KINDS.get(problem.kind, problem.kind),
        "detail": problem.detail,
    }
