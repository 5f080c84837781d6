"""The Pol.is export layout: read a folder of CSV files into plain arrays, write one from plain data.

A Pol.is export (as in ``compdemocracy/openData``) is a folder of:

``comments.csv``
    ``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body``; ``moderated`` is
    -1 (moderated out), 0 (not yet moderated) or 1 (accepted).
``votes.csv``
    ``timestamp,datetime,comment-id,voter-id,vote``, one row per vote cast, a later row replacing an
    earlier one on the same (voter, comment); ``vote`` is 1 agree, -1 disagree, 0 pass.
``participants-votes.csv``
    ``participant[,xid],group-id,n-comments,n-votes,n-agree,n-disagree`` then one column per comment id:
    each participant's final votes (blank: unseen) and Pol.is's group (0-based, blank: not clustered).
``summary.csv``
    ``key,value`` rows (topic, url, views, voters, voters-in-conv, commenters, comments, groups, ...).

Timestamps are milliseconds since the epoch; ``datetime`` is the same moment as the server printed it.
Files are UTF-8 with ``\\n`` line ends and minimal quoting, as Pol.is writes them; reading then writing an
export gives back the same bytes. Pure Python and NumPy: the CLI (``dalun opinion-map DIR``) and the
Django import/export both build on it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from dalun.engines.opinion_map import vote_matrix

Ints = npt.NDArray[np.int64]

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"

COMMENT_COLUMNS = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")


@dataclass(frozen=True)
class Comment:
    """One row of ``comments.csv``."""

    id: int
    author: int
    agrees: int
    disagrees: int
    moderated: int
    body: str
    timestamp: int
    datetime: str = ""


@dataclass(frozen=True, eq=False)
class Votes:
    """``votes.csv`` as parallel arrays, in file order (not necessarily time order)."""

    timestamp: Ints
    comment: Ints
    voter: Ints
    vote: npt.NDArray[np.int8]
    datetime: tuple[str, ...] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.vote.size)

    def latest(self) -> Votes:
        """The final vote of each (voter, comment), in time order (ties keep file order)."""
        order = np.argsort(self.timestamp, kind="stable")
        keys = self.voter[order] * (int(self.comment.max(initial=0)) + 1) + self.comment[order]
        _, last_from_end = np.unique(keys[::-1], return_index=True)
        kept = order[np.sort(keys.size - 1 - last_from_end)]
        return Votes(
            timestamp=self.timestamp[kept],
            comment=self.comment[kept],
            voter=self.voter[kept],
            vote=self.vote[kept],
            datetime=None if self.datetime is None else tuple(self.datetime[i] for i in kept),
        )


@dataclass(frozen=True, eq=False)
class ParticipantVotes:
    """``participants-votes.csv``: ``votes`` is a vote matrix (see :func:`~dalun.engines.opinion_map.
    vote_matrix`) with one row per ``participant`` and one column per ``comment_ids`` entry;
    ``group_id`` is -1 where the file is blank; ``xid`` is present in exports that carry external ids."""

    participant: Ints
    group_id: Ints
    n_comments: Ints
    n_votes: Ints
    n_agree: Ints
    n_disagree: Ints
    comment_ids: Ints
    votes: sp.csr_array = field(repr=False)
    xid: tuple[str, ...] | None = None


@dataclass(frozen=True, eq=False)
class PolisExport:
    """A whole export folder; the last two files are optional."""

    comments: tuple[Comment, ...]
    votes: Votes
    participants: ParticipantVotes | None = None
    summary: tuple[tuple[str, str], ...] | None = None

    def summary_value(self, key: str) -> str | None:
        return dict(self.summary or ()).get(key)

    def vote_matrix(self) -> tuple[sp.csr_array, Ints, Ints]:
        """The final votes as a vote matrix, with the participant id of each row and the comment id of each
        column (ids ascending; every comment of ``comments.csv`` has a column, voted on or not)."""
        latest = self.votes.latest()
        participant_ids = np.unique(latest.voter)
        comment_ids = np.unique(
            np.concatenate([[c.id for c in self.comments], latest.comment]).astype(np.int64)
        )
        matrix = vote_matrix(
            np.searchsorted(participant_ids, latest.voter),
            np.searchsorted(comment_ids, latest.comment),
            latest.vote,
            shape=(participant_ids.size, comment_ids.size),
        )
        return matrix, participant_ids, comment_ids

    def moderated_out(self, comment_ids: Sequence[int] | Ints) -> npt.NDArray[np.bool_]:
        """Which of ``comment_ids`` are moderated out (``moderated == -1``)."""
        out = {c.id for c in self.comments if c.moderated == -1}
        return np.array([int(i) in out for i in comment_ids], dtype=bool)


def read_export(folder: str | Path) -> PolisExport:
    """Read the export in ``folder``; ``comments.csv`` and ``votes.csv`` are required."""
    folder = Path(folder)
    participants = folder / PARTICIPANTS_VOTES
    summary = folder / SUMMARY
    return PolisExport(
        comments=read_comments(folder / COMMENTS),
        votes=read_votes(folder / VOTES),
        participants=read_participants_votes(participants) if participants.exists() else None,
        summary=read_summary(summary) if summary.exists() else None,
    )


def write_export(folder: str | Path, export: PolisExport) -> None:
    """Write ``export`` into ``folder`` (created if needed), one file per part present."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_comments(folder / COMMENTS, export.comments)
    write_votes(folder / VOTES, export.votes)
    if export.participants is not None:
        write_participants_votes(folder / PARTICIPANTS_VOTES, export.participants)
    if export.summary is not None:
        write_summary(folder / SUMMARY, export.summary)


def read_comments(path: str | Path) -> tuple[Comment, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Comment(
            id=int(row["comment-id"]),
            author=int(row["author-id"]),
            agrees=int(row["agrees"]),
            disagrees=int(row["disagrees"]),
            moderated=int(row["moderated"]),
            body=row["comment-body"],
            timestamp=int(row["timestamp"]),
            datetime=row["datetime"],
        )
        for row in rows
    )


def write_comments(path: str | Path, comments: Iterable[Comment], *, zone: str = "UTC") -> None:
    """Write ``comments.csv``; a comment without ``datetime`` gets its timestamp printed in ``zone``."""
    with _writer(path) as writer:
        writer.writerow(COMMENT_COLUMNS)
        for c in comments:
            when = c.datetime or format_datetime(c.timestamp, zone)
            writer.writerow([c.timestamp, when, c.id, c.author, c.agrees, c.disagrees, c.moderated, c.body])


def read_votes(path: str | Path) -> Votes:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        position = {name: header.index(name) for name in VOTE_COLUMNS}
        rows = list(reader)

    def column(name: str) -> Ints:
        return np.array([int(row[position[name]]) for row in rows], dtype=np.int64)

    return Votes(
        timestamp=column("timestamp"),
        comment=column("comment-id"),
        voter=column("voter-id"),
        vote=column("vote").astype(np.int8),
        datetime=tuple(row[position["datetime"]] for row in rows),
    )


def write_votes(path: str | Path, votes: Votes, *, zone: str = "UTC") -> None:
    """Write ``votes.csv``; without ``votes.datetime`` each timestamp is printed in ``zone``."""
    with _writer(path) as writer:
        writer.writerow(VOTE_COLUMNS)
        for i in range(len(votes)):
            timestamp = int(votes.timestamp[i])
            when = votes.datetime[i] if votes.datetime is not None else format_datetime(timestamp, zone)
            writer.writerow([timestamp, when, int(votes.comment[i]), int(votes.voter[i]), int(votes.vote[i])])


def read_participants_votes(path: str | Path) -> ParticipantVotes:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    first_vote = max(header.index(name) for name in PARTICIPANT_COLUMNS) + 1
    comment_ids = np.array([int(name) for name in header[first_vote:]], dtype=np.int64)

    def column(name: str, blank: int = 0) -> Ints:
        at = header.index(name)
        return np.array([int(row[at]) if row[at] != "" else blank for row in rows], dtype=np.int64)

    cells = [
        (i, j, int(value)) for i, row in enumerate(rows) for j, value in enumerate(row[first_vote:]) if value
    ]
    triples = np.array(cells, dtype=np.int64).reshape(-1, 3)
    votes = vote_matrix(triples[:, 0], triples[:, 1], triples[:, 2], shape=(len(rows), comment_ids.size))
    xid = tuple(row[header.index("xid")] for row in rows) if "xid" in header else None
    return ParticipantVotes(
        participant=column("participant"),
        group_id=column("group-id", blank=-1),
        n_comments=column("n-comments"),
        n_votes=column("n-votes"),
        n_agree=column("n-agree"),
        n_disagree=column("n-disagree"),
        comment_ids=comment_ids,
        votes=votes,
        xid=xid,
    )


def participant_votes(
    votes: sp.csr_array,
    participant_ids: npt.ArrayLike,
    comment_ids: npt.ArrayLike,
    *,
    group_id: npt.ArrayLike | None = None,
    n_comments: npt.ArrayLike | None = None,
) -> ParticipantVotes:
    """Build the ``participants-votes.csv`` content from a vote matrix and the groups (-1: none)."""
    n = votes.shape[0]
    rows = np.repeat(np.arange(n), np.diff(votes.indptr))
    return ParticipantVotes(
        participant=np.asarray(participant_ids, dtype=np.int64),
        group_id=np.full(n, -1, dtype=np.int64) if group_id is None else np.asarray(group_id, dtype=np.int64),
        n_comments=np.zeros(n, dtype=np.int64) if n_comments is None else np.asarray(n_comments, np.int64),
        n_votes=np.diff(votes.indptr).astype(np.int64),
        n_agree=np.bincount(rows[votes.data == 1], minlength=n).astype(np.int64),
        n_disagree=np.bincount(rows[votes.data == -1], minlength=n).astype(np.int64),
        comment_ids=np.asarray(comment_ids, dtype=np.int64),
        votes=votes,
    )


def write_participants_votes(path: str | Path, participants: ParticipantVotes) -> None:
    head = ["participant"] + (["xid"] if participants.xid is not None else []) + list(PARTICIPANT_COLUMNS[1:])
    votes = participants.votes
    with _writer(path) as writer:
        writer.writerow(head + [str(c) for c in participants.comment_ids.tolist()])
        for i in range(votes.shape[0]):
            cells = [""] * participants.comment_ids.size
            start, end = votes.indptr[i], votes.indptr[i + 1]
            for j, value in zip(
                votes.indices[start:end].tolist(), votes.data[start:end].tolist(), strict=True
            ):
                cells[j] = str(value)
            group = int(participants.group_id[i])
            writer.writerow(
                [int(participants.participant[i])]
                + ([participants.xid[i]] if participants.xid is not None else [])
                + [
                    "" if group < 0 else group,
                    int(participants.n_comments[i]),
                    int(participants.n_votes[i]),
                    int(participants.n_agree[i]),
                    int(participants.n_disagree[i]),
                ]
                + cells
            )


def read_summary(path: str | Path) -> tuple[tuple[str, str], ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple((row[0], row[1] if len(row) > 1 else "") for row in csv.reader(handle) if row)


def write_summary(path: str | Path, items: Iterable[tuple[str, str | int]]) -> None:
    with _writer(path) as writer:
        for key, value in items:
            writer.writerow([key, value])


def format_datetime(timestamp_ms: int, zone: str = "UTC") -> str:
    """A timestamp as Pol.is prints it, e.g. ``Mon Jul 17 02:17:32 WIB 2017``."""
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000, tz=ZoneInfo(zone))
    return moment.strftime("%a %b %d %H:%M:%S %Z %Y")


@contextmanager
def _writer(path: str | Path) -> Iterator[Any]:
    """A CSV writer over a UTF-8 file with ``\\n`` line ends and minimal quoting."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield csv.writer(handle, lineterminator="\n")
