"""A map's data in the Pol.is export layout (``dalun.engines.polis_csv``): export as a zip, and import a
Pol.is export into a new map (read and checked by :mod:`dalun.opinions.polis_files`).

The import is all-or-nothing: every file is checked first and every error is reported by file, row and
column; nothing is written unless all of it is right. ``comments.csv`` and ``votes.csv`` are needed,
``summary.csv`` gives the question when none is typed; ``participants-votes.csv`` is not read (the map is
recomputed from the votes).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign
from dalun.engines import polis_csv
from dalun.engines.opinion_map import vote_matrix
from dalun.opinions import services
from dalun.opinions.analysis import group_of_rows, latest_snapshot
from dalun.opinions.choices import StatementOrigin, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Statement, Vote
from dalun.opinions.polis_files import (
    MAX_UPLOAD_BYTES,
    FileError,
    PolisImportError,
    files_from_folder,
    files_from_uploads,
    parse_export,
)
from dalun.org import policy

MODERATED = {1: StatementStatus.ACCEPTED, 0: StatementStatus.PENDING, -1: StatementStatus.REJECTED}
BATCH = 5000
ZONE = "Asia/Shanghai"
__all__ = [
    "MAX_UPLOAD_BYTES",
    "FileError",
    "PolisImportError",
    "export_files",
    "export_zip",
    "files_from_folder",
    "files_from_uploads",
    "opinion_map_import",
    "parse_export",
]


# Import -----------------------------------------------------------------------------------------------


def _moment(timestamp_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp_ms / 1000, tz=dt.UTC)


@transaction.atomic
def opinion_map_import(
    *, actor: Any, campaign: Campaign, files: dict[str, bytes], question: str = ""
) -> OpinionMap:
    """A new map (in preparation) holding the export's statements, participants and final votes; it is
    computed after commit. Raises PolisImportError (nothing written) when any file is wrong."""
    policy.require(actor, "opinion.moderate", campaign.owner_unit)
    parsed = parse_export(files)
    export = parsed.export
    opinion_map = services.opinion_map_create(
        actor=actor,
        campaign=campaign,
        question=(question.strip() or parsed.topic or _("Imported conversation"))[: services.QUESTION_MAX],
        description=parsed.description[: services.DESCRIPTION_MAX],
    )
    latest = export.votes.latest()
    comment_ids = np.array(sorted(comment.id for comment in export.comments), dtype=np.int64)
    authors = np.array([comment.author for comment in export.comments if comment.author >= 0], dtype=np.int64)
    participant_ids = np.unique(np.concatenate([latest.voter, authors]))
    rows_of = np.searchsorted(participant_ids, latest.voter)
    columns_of = np.searchsorted(comment_ids, latest.comment)
    first_seen = {
        int(pid): int(ts) for pid, ts in zip(latest.voter[::-1], latest.timestamp[::-1], strict=True)
    }
    now = timezone.now()
    Participant.objects.bulk_create(
        (
            Participant(
                opinion_map=opinion_map,
                row=row,
                key=f"polis:{pid}",
                external_id=int(pid),
                created_at=_moment(first_seen[int(pid)]) if int(pid) in first_seen else now,
            )
            for row, pid in enumerate(participant_ids.tolist())
        ),
        batch_size=BATCH,
    )
    m = comment_ids.size
    counts = {value: np.bincount(columns_of[latest.vote == value], minlength=m) for value in (1, -1, 0)}
    participant_pk = dict(Participant.objects.filter(opinion_map=opinion_map).values_list("row", "pk"))
    by_id = {comment.id: comment for comment in export.comments}
    Statement.objects.bulk_create(
        (
            Statement(
                opinion_map=opinion_map,
                column=column,
                text=by_id[cid].body,
                search_key=services.statement_key(by_id[cid].body),
                status=MODERATED[by_id[cid].moderated],
                origin=StatementOrigin.IMPORTED,
                author_id=participant_pk.get(int(np.searchsorted(participant_ids, by_id[cid].author)))
                if by_id[cid].author >= 0
                else None,
                agree_count=int(counts[1][column]),
                disagree_count=int(counts[-1][column]),
                pass_count=int(counts[0][column]),
                external_id=cid,
                created_at=_moment(by_id[cid].timestamp),
            )
            for column, cid in enumerate(comment_ids.tolist())
        ),
        batch_size=BATCH,
    )
    statement_pk = dict(Statement.objects.filter(opinion_map=opinion_map).values_list("column", "pk"))
    Vote.objects.bulk_create(
        (
            Vote(
                opinion_map=opinion_map,
                participant_id=participant_pk[row],
                statement_id=statement_pk[column],
                row=row,
                column=column,
                value=value,
                cast_at=_moment(timestamp),
            )
            for row, column, value, timestamp in zip(
                rows_of.tolist(),
                columns_of.tolist(),
                latest.vote.tolist(),
                latest.timestamp.tolist(),
                strict=True,
            )
        ),
        batch_size=BATCH,
    )
    OpinionMap.objects.filter(pk=opinion_map.pk).update(n_participants=participant_ids.size, n_statements=m)
    audit_record(
        actor=actor,
        action="opinion_map.import",
        obj=opinion_map,
        changes={
            "statements": [None, int(m)],
            "participants": [None, int(participant_ids.size)],
            "votes": [None, len(latest)],
        },
    )
    services.mark_dirty(opinion_map.pk)
    opinion_map.refresh_from_db()
    return opinion_map


# Export -----------------------------------------------------------------------------------------------


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def export_files(opinion_map: OpinionMap, *, url: str = "") -> dict[str, bytes]:
    """The map in the Pol.is layout: ``comments.csv``, ``votes.csv``, ``participants-votes.csv`` (with each
    participant's group in the last computation) and ``summary.csv``."""
    statements = list(
        Statement.objects.filter(opinion_map=opinion_map)
        .select_related("author")
        .only("column", "text", "status", "agree_count", "disagree_count", "created_at", "author__row")
        .order_by("column")
    )
    moderated = {StatementStatus.ACCEPTED: 1, StatementStatus.PENDING: 0, StatementStatus.REJECTED: -1}
    comments = tuple(
        polis_csv.Comment(
            id=s.column,
            author=s.author.row if s.author is not None else -1,
            agrees=s.agree_count,
            disagrees=s.disagree_count,
            moderated=moderated[StatementStatus(s.status)],
            body=s.text,
            timestamp=_ms(s.created_at),
        )
        for s in statements
    )
    cast = list(
        Vote.objects.filter(opinion_map=opinion_map)
        .order_by("cast_at", "id")
        .values_list("row", "column", "value", "cast_at")
    )
    rows = np.array([vote[:3] for vote in cast], dtype=np.int64).reshape(-1, 3)
    votes = polis_csv.Votes(
        timestamp=np.array([_ms(vote[3]) for vote in cast], dtype=np.int64),
        comment=rows[:, 1],
        voter=rows[:, 0],
        vote=rows[:, 2].astype(np.int8),
    )
    counted = OpinionMap.objects.filter(pk=opinion_map.pk).values_list("n_participants", "n_statements").get()
    n = max(counted[0], int(rows[:, 0].max(initial=-1)) + 1)
    m = max(counted[1], int(rows[:, 1].max(initial=-1)) + 1)
    final = vote_matrix(rows[:, 0], rows[:, 1], rows[:, 2], shape=(n, m))
    groups = group_of_rows(latest_snapshot(opinion_map, with_warm=True), n)
    authored = np.bincount([s.author.row for s in statements if s.author is not None], minlength=n)[:n]
    participants = polis_csv.participant_votes(
        final, np.arange(n), np.arange(m), group_id=groups, n_comments=authored
    )
    voters = int((np.diff(final.indptr) > 0).sum())
    summary: list[tuple[str, str | int]] = [
        ("topic", opinion_map.question),
        ("url", url),
        ("voters", voters),
        ("voters-in-conv", int((groups >= 0).sum())),
        ("commenters", int((authored > 0).sum())),
        ("comments", len(statements)),
        ("groups", len(set(groups[groups >= 0].tolist()))),
        ("conversation-description", opinion_map.description),
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        polis_csv.write_comments(path / polis_csv.COMMENTS, comments, zone=ZONE)
        polis_csv.write_votes(path / polis_csv.VOTES, votes, zone=ZONE)
        polis_csv.write_participants_votes(path / polis_csv.PARTICIPANTS_VOTES, participants)
        polis_csv.write_summary(path / polis_csv.SUMMARY, summary)
        return {
            name: (path / name).read_bytes()
            for name in (polis_csv.COMMENTS, polis_csv.VOTES, polis_csv.PARTICIPANTS_VOTES, polis_csv.SUMMARY)
        }


def export_zip(opinion_map: OpinionMap, *, url: str = "") -> bytes:
    folder = f"opinion-map-{opinion_map.pk}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in export_files(opinion_map, url=url).items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()
