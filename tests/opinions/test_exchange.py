"""The Pol.is layout: a map exported and imported back is the same map; a real Pol.is conversation imports;
a wrong export is refused whole, with its errors by file and row; ``dalun opinion-map`` reads a folder."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from dalun.engines import polis_csv
from dalun.opinions import analysis, exchange, services
from dalun.opinions.choices import StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Snapshot, Statement, Vote

from .conftest import STATEMENTS, VTAIWAN

pytestmark = pytest.mark.django_db


def matrix_of(opinion_map: OpinionMap) -> set[tuple[int, int, int]]:
    return set(Vote.objects.filter(opinion_map=opinion_map).values_list("row", "column", "value"))


def test_export_then_import_gives_back_the_same_map(
    opinion_map, planted, persona, campaign, django_capture_on_commit_callbacks
):
    moderator = persona("moderator")
    pending = services.statement_submit(
        opinion_map=opinion_map, text="希望开通企业诉求热线", participant_key="p0-1"
    )
    rejected = services.statement_submit(
        opinion_map=opinion_map, text="无关的内容", participant_key="newcomer"
    )
    services.statement_moderate(actor=moderator, statement=rejected, decision="reject")
    analysis.recompute(opinion_map_id=opinion_map.pk)
    files = exchange.export_files(opinion_map, url="https://example.cn/portal/maps/1/")
    assert set(files) == {"comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"}

    summary = dict(csv.reader(io.StringIO(files["summary.csv"].decode())))
    assert (
        summary["topic"] == opinion_map.question and summary["voters"] == "140" and summary["groups"] == "3"
    )
    header, *rows = list(csv.reader(io.StringIO(files["participants-votes.csv"].decode())))
    assert header[:6] == ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
    snapshot_groups = analysis.group_of_rows(analysis.latest_snapshot(opinion_map, with_warm=True), len(rows))
    assert [int(row[1]) if row[1] else -1 for row in rows] == snapshot_groups.tolist()

    with django_capture_on_commit_callbacks(execute=True):
        imported = exchange.opinion_map_import(actor=moderator, campaign=campaign, files=files)
    assert imported.pk != opinion_map.pk and imported.question == opinion_map.question
    original = list(Statement.objects.filter(opinion_map=opinion_map).order_by("column"))
    again = list(Statement.objects.filter(opinion_map=imported).order_by("column"))
    assert [(s.column, s.text, s.status) for s in again] == [(s.column, s.text, s.status) for s in original]
    assert [(s.agree_count, s.disagree_count, s.pass_count) for s in again] == [
        (s.agree_count, s.disagree_count, s.pass_count) for s in original
    ]
    assert {s.text: s.author.row for s in again if s.author} == {
        s.text: s.author.row for s in original if s.author
    }
    assert again[pending.column].status == StatementStatus.PENDING
    assert matrix_of(imported) == matrix_of(opinion_map)
    opinion_map.refresh_from_db()
    assert imported.n_participants == opinion_map.n_participants == 141  # with an author who never voted
    snapshot = Snapshot.objects.get(opinion_map=imported)  # computed after commit
    assert snapshot.display["k"] == 3

    # and the second export is the same as the first, but for the map's own address
    second = exchange.export_files(imported, url="https://example.cn/portal/maps/1/")
    assert second["comments.csv"] == files["comments.csv"] and second["votes.csv"] == files["votes.csv"]


def test_the_export_zip_reads_back_with_the_engines_reader(opinion_map, planted, tmp_path):
    analysis.recompute(opinion_map_id=opinion_map.pk)
    with zipfile.ZipFile(io.BytesIO(exchange.export_zip(opinion_map))) as archive:
        archive.extractall(tmp_path)
    folder = next(tmp_path.iterdir())
    export = polis_csv.read_export(folder)
    assert [c.body for c in export.comments] == STATEMENTS
    votes, participants, comments = export.vote_matrix()
    assert votes.nnz == Vote.objects.filter(opinion_map=opinion_map).count()
    assert export.participants is not None and (export.participants.group_id >= 0).sum() > 100


def test_a_real_polis_conversation_imports_and_maps(persona, campaign, django_capture_on_commit_callbacks):
    export = polis_csv.read_export(VTAIWAN)
    latest = export.votes.latest()
    with django_capture_on_commit_callbacks(execute=True):
        imported = exchange.opinion_map_import(
            actor=persona("moderator"), campaign=campaign, files=exchange.files_from_folder(VTAIWAN)
        )
    assert imported.question == export.summary_value("topic")
    assert Statement.objects.filter(opinion_map=imported).count() == len(export.comments) == 197
    statuses = Counter(Statement.objects.filter(opinion_map=imported).values_list("status", flat=True))
    assert statuses == {
        StatementStatus.ACCEPTED: 99,
        StatementStatus.REJECTED: 78,
        StatementStatus.PENDING: 20,
    }
    assert Vote.objects.filter(opinion_map=imported).count() == len(latest)
    voters = set(np.unique(latest.voter).tolist())
    assert voters <= set(
        Participant.objects.filter(opinion_map=imported).values_list("external_id", flat=True)
    )
    snapshot = Snapshot.objects.get(opinion_map=imported)
    assert snapshot.display["k"] >= 2 and snapshot.display["voters"] == len(voters)
    assert "安全" in " ".join(
        Statement.objects.filter(
            opinion_map=imported, column__in=[row["column"] for row in snapshot.display["consensus"]]
        ).values_list("text", flat=True)
    )


def good_files() -> dict[str, bytes]:
    comments = (
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1700000000000,,0,0,1,0,1,政务服务应当一网通办\n"
        "1700000001000,,1,1,0,1,0,煤炭转型应当放慢\n"
    )
    votes = (
        "timestamp,datetime,comment-id,voter-id,vote\n"
        "1700000002000,,0,0,1\n"
        "1700000003000,,1,1,-1\n"
        "1700000004000,,0,1,0\n"
    )
    return {"comments.csv": comments.encode(), "votes.csv": votes.encode()}


def changed(name: str, old: str, new: str) -> dict[str, bytes]:
    files = good_files()
    files[name] = files[name].decode().replace(old, new, 1).encode()
    return files


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"comments.csv": good_files()["comments.csv"]}, ("votes.csv", 0, "")),
        (changed("comments.csv", "moderated,", "moderation,"), ("comments.csv", 1, "")),
        (changed("comments.csv", ",0,1,政务", ",0,7,政务"), ("comments.csv", 2, "moderated")),
        (changed("comments.csv", "煤炭转型应当放慢", ""), ("comments.csv", 3, "comment-body")),
        (
            changed("comments.csv", "1700000001000,,1,", "1700000001000,,0,"),
            ("comments.csv", 3, "comment-id"),
        ),
        (changed("votes.csv", "1700000003000,,1,1,-1", "1700000003000,,1,1,2"), ("votes.csv", 3, "vote")),
        (changed("votes.csv", "1700000003000,,1,", "1700000003000,,9,"), ("votes.csv", 3, "comment-id")),
        (changed("votes.csv", "1700000004000,,0,1,0", "1700000004000,,0,x,0"), ("votes.csv", 4, "voter-id")),
        ({**good_files(), "votes.csv": "timestamp,vote\n1,1\n".encode("gbk")}, ("votes.csv", 1, "")),
        ({**good_files(), "comments.csv": "评论".encode("gbk")}, ("comments.csv", 0, "")),
    ],
)
def test_a_wrong_export_is_refused_whole_naming_file_and_row(files, where, persona, campaign):
    before = (OpinionMap.objects.count(), Statement.objects.count(), Vote.objects.count())
    with pytest.raises(exchange.PolisImportError) as refused:
        exchange.opinion_map_import(actor=persona("moderator"), campaign=campaign, files=files)
    assert where in [(e.file, e.row, e.column) for e in refused.value.errors], refused.value.errors
    assert (OpinionMap.objects.count(), Statement.objects.count(), Vote.objects.count()) == before


def test_uploads_are_a_zip_or_the_files_themselves():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in good_files().items():
            archive.writestr(f"export/{name}", content)
        archive.writestr("__MACOSX/export/._votes.csv", b"junk")
    assert set(exchange.files_from_uploads([("export.zip", buffer.getvalue())])) == {
        "comments.csv",
        "votes.csv",
    }
    assert set(exchange.files_from_uploads(good_files().items())) == {"comments.csv", "votes.csv"}
    with pytest.raises(exchange.PolisImportError) as refused:
        exchange.files_from_uploads([("export.zip", b"PK\x03\x04 broken"), ("notes.txt", b"hello")])
    assert [e.file for e in refused.value.errors] == ["export.zip", "notes.txt"]


def test_the_command_line_maps_an_export_folder(opinion_map, planted, tmp_path, capsys):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, content in exchange.export_files(opinion_map).items():
        (folder / name).write_bytes(content)
    out = tmp_path / "map.json"
    call_command("opinion_map", str(folder), "--json", str(out))
    printed = capsys.readouterr().out
    assert opinion_map.question in printed
    assert printed.count("Group ") == 3 and "Consensus:" in printed
    assert "关停煤矿职工应获免费技能培训" in printed or "基层考核材料太多应当精简" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["groups"]) == 3 and report["participants"] == 140
    assert all(row["text"] in STATEMENTS for group in report["groups"] for row in group["representative"])
    with pytest.raises(CommandError):
        call_command("opinion_map", str(tmp_path / "nowhere"))
    (folder / "votes.csv").write_text("timestamp,comment-id,voter-id,vote\n1,0,0,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="votes.csv, row 2, vote"):
        call_command("opinion_map", str(folder))
