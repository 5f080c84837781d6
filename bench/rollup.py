"""Dashboards over a province's ledgers: maintained rollups against one bare GROUP BY over the measures.

Generates a province of 100,000 units (the tree of ``bench/units.py``: 11 cities, 120 counties, 1,350
towns, villages below, built with ``bulk_create``), creates the campaign from the shipped template with
``campaign_create`` (starting 150 days ago, so today falls in the rectification phase of its 300 days) and
deploys it to the province with ``campaign_deploy`` (the key-link obligations of every unit's requirement
class, and their counters). Then it bulk-creates, in batches of a few thousand: a ledger for every unit
that has problems; 300,000 problems (many at county and township level, a few per village; categories of
the campaign; sources and visibility mixed) holding 1,000,000 measures (1 to 6 a problem, 3.3 on
average); and key-link progress for the obligations whose window has opened. Everything random comes from
one seeded generator, so every run builds the same data. Records are dated as if entered over the
campaign so far: problems and measures recorded on days 10 to 149, deadlines 15 to 120 days after (at most
the campaign's end), about half of them past; a measure whose deadline has passed is closed on time,
closed late, awaiting verification or still in progress (those two are overdue), one whose deadline is
ahead mostly in progress. A problem is rectified when all its measures are closed. (``created_at`` is an
``auto_now_add`` field: it is switched off while the rows are inserted so that they keep their dates.)
Evidence files, timeline events and audit entries of the generated rows are not made. Finally
``rollups.rebuild()`` computes the maintained counters, the database is ANALYZEd, and
``rollups.differences()`` compares every counter with the rows again (``rollups_exact``).

Then, through the Django test client (sessions, middleware, policy, selectors, templates: the whole stack)
as a leading-group office member of the province, it requests the province's dashboard, the dashboard of
the city nearest a fifth of the tree and of the county nearest 1% (as ``bench/units.py`` chooses them),
and the ledger page of the town of that county with the most problems: one warm-up request each, one
request under ``CaptureQueriesContext`` to count its queries (``*_queries``) and sum the time spent in
``cursor.execute`` (``*_sql_ms``; on SQLite that leaves out stepping through the rows after the first,
which is small for these queries), then 20 rounds of the four requests, interleaved; median and p95 of
each (``*_median_ms``, ``*_p95_ms``). The baseline, in the same process, is
``SELECT status, COUNT(*) FROM ledger_measure GROUP BY status`` (the median of 5 runs after a warm-up):
``dashboard_vs_groupby_<db>_ratio`` is the slowest dashboard's median over it, and should stay below 1.

Each database is measured in its own child process with its own ``DALUN_DATABASE_URL`` (see
``_django.py``): SQLite in a temporary file, PostgreSQL in ``dalun_bench_rollup`` at 127.0.0.1:5432
(created for the run and dropped after it). Figures carry the database in their names, before the unit
(``province_dashboard_pg_median_ms``, ``rollup_rebuild_sqlite_s``); the two databases' figures are
printed side by side, then the run's overall ``max_queries_per_page``, ``rollups_exact`` and
``peak_rss_mb`` (the measuring process's, not the database server's; ``generate_peak_rss_*`` is the peak
by the end of generation; at smoke size it is the ~100 MB the persona's Argon2 password hash takes). Progress
goes to stderr; ``--profile`` adds there, for each page, a cProfile of one request and the plans of its
three slowest queries (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

Run from the project root::

    .venv/bin/python bench/rollup.py                      # 100,000 units, 1,000,000 measures, 20 requests
    .venv/bin/python bench/rollup.py --databases sqlite   # without PostgreSQL
    .venv/bin/python bench/rollup.py --small              # 3,000 units, 20,000 measures, 3 requests (CI)

The full run takes about 7 minutes per database on 2 cores and 1.8 GB of memory (``rebuild`` and
``differences`` hold every counter in Python). ``--units``, ``--measures`` and ``--requests`` change the
size (problems stay 30% of the measures); the names stay the same.
"""

import argparse
import cProfile
import datetime
import pstats
import random
import re
import resource
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from time import perf_counter
from typing import TYPE_CHECKING, Any

import _django
import _tree

if TYPE_CHECKING:
    from dalun.campaigns.models import Campaign
    from dalun.ledger.models import Measure, Problem
    from dalun.org.models import Person, Unit

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dalun_bench_rollup"
LABELS = {"sqlite": "sqlite", "postgresql": "pg"}  # the database's part of each figure's name


@dataclass(frozen=True)
class Size:
    units: int
    problems: int
    measures: int
    requests: int


FULL = Size(units=_tree.FULL_UNITS, problems=300_000, measures=1_000_000, requests=20)
SMALL = Size(units=3_000, problems=6_000, measures=20_000, requests=3)
GROUPBY_RUNS = 5
BATCH_PROBLEMS = 4_000  # problems (and their ~13,000 measures) inserted per batch
BATCH_ROWS = 10_000  # key-link progress rows per batch
SEED = 20240615
TODAY_DAY = 150  # the campaign started this many days ago
# Expected problems of one unit, by depth (province ... village); scaled to the total asked.
PROBLEMS_BY_DEPTH = {1: 400.0, 2: 200.0, 3: 100.0, 4: 40.0, 5: 2.35}
PAGES = ("province_dashboard", "city_dashboard", "county_dashboard", "unit_ledger")
DASHBOARDS = PAGES[:3]
GENERATION_STEPS = (
    "tree_build",
    "campaign_create",
    "campaign_deploy",
    "ledger_rows",
    "keylink_progress",
    "rollup_rebuild",
)

ACTIONS = (
    "制定专项整改方案，明确责任人和完成时限，每月调度一次进展。",
    "对照标杆地区逐项梳理差距，形成赶超清单并纳入年度考核。",
    "建立问题台账销号制度，完成一项、验收一项、销号一项。",
    "开展专题培训，组织干部赴先进地区跟班学习。",
    "修订相关制度规定，堵塞管理漏洞，形成长效机制。",
    "设立企业和群众诉求快速响应通道，限时办结并回访。",
)
INDICATORS = (("完成率", "%"), ("办结件数", "件"), ("培训人次", "人次"), ("制度文件", "项"), ("满意度", "%"))
OWNERS = ("王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏")
NOTES = ("已召开专题会议。", "已印发实施方案。", "正在组织开展。", "")


def main() -> None:
    arguments = _arguments()
    size = SMALL if arguments.small else FULL
    size = Size(
        units=arguments.units or size.units,
        problems=round((arguments.measures or size.measures) * size.problems / size.measures),
        measures=arguments.measures or size.measures,
        requests=arguments.requests or size.requests,
    )
    if arguments.worker:
        _measure(size, arguments.label, profile=arguments.profile)
        return
    runs: dict[str, list[str]] = {}
    for database in arguments.databases:
        worker_arguments = [
            *("--label", LABELS[database]),
            *("--units", str(size.units)),
            *("--measures", str(size.measures)),
            *("--requests", str(size.requests)),
            *["--profile"] * arguments.profile,
        ]
        runs[LABELS[database]] = _django.run_in_child(
            __file__, database, worker_arguments, postgres_url=POSTGRES_URL, suffix=False
        )
    for line in _side_by_side(runs):
        print(line, flush=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    small_help = f"smoke size: {SMALL.units:,} units, {SMALL.measures:,} measures, {SMALL.requests} requests"
    parser.add_argument("--small", action="store_true", help=small_help)
    parser.add_argument("--units", type=int, help=f"units in the tree (default {FULL.units:,})")
    parser.add_argument("--measures", type=int, help=f"measures (default {FULL.measures:,}; problems 30%%)")
    parser.add_argument("--requests", type=int, help=f"timed requests per page (default {FULL.requests})")
    parser.add_argument(
        "--databases",
        type=_django.database_list,
        default=_django.DATABASES,
        help="comma-separated: sqlite,postgresql",
    )
    profile_help = "print each page's profile (one request, cProfile, by cumulative time) to stderr"
    parser.add_argument("--profile", action="store_true", help=profile_help)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="sqlite", help=argparse.SUPPRESS)
    return parser.parse_args()


def _side_by_side(runs: dict[str, list[str]]) -> list[str]:
    """Each figure of every database next to its twins, then the figures that sum up the whole run."""
    order: list[str] = []
    values: dict[str, dict[str, str]] = {}
    for label, lines in runs.items():
        for line in lines:
            name, _, value = line.partition(": ")
            template = re.sub(rf"_{label}(?=_|$)", "_{db}", name)
            if template not in values:
                order.append(template)
                values[template] = {}
            values[template][label] = value
    printed = []
    for template in order:
        by_label = values[template]
        if "{db}" not in template and len(set(by_label.values())) == 1:
            printed.append(f"{template}: {next(iter(by_label.values()))}")
            continue
        for label, value in by_label.items():
            name = template.format(db=label) if "{db}" in template else f"{template}_{label}"
            printed.append(f"{name}: {value}")

    def every(suffix: str) -> list[str]:
        return [v for t, by_label in values.items() if t.endswith(suffix) for v in by_label.values()]

    printed.append(f"max_queries_per_page: {max(int(v) for v in every('_queries'))}")
    exact = every("rollups_exact_{db}")
    printed.append(f"rollups_exact: {'yes' if exact and all(v == 'yes' for v in exact) else 'no'}")
    printed.append(f"peak_rss_mb: {max(float(v) for v in every('peak_rss_{db}_mb')):.0f}")
    return printed


# The worker: runs in the child process, against the database DALUN_DATABASE_URL names.


def _measure(size: Size, db: str, *, profile: bool) -> None:
    _django.setup()
    from django.db import connection

    from dalun.campaigns.models import KeyLinkObligation
    from dalun.ledger import rollups
    from dalun.ledger.models import KeyLinkProgress, Ledger, Measure, Problem
    from dalun.org.models import Unit

    def figure(name: str, value: object) -> None:
        print(f"{name}: {value}", flush=True)

    shape = _tree.shape(size.units)
    rng = random.Random(SEED)
    timings: dict[str, float] = {}

    with _timed(timings, "tree_build"):
        _tree.build(shape)
    person = _persona()
    with _timed(timings, "campaign_create"):
        campaign = _campaign()
    with _timed(timings, "campaign_deploy"):
        _deploy(campaign)
    with _timed(timings, "ledger_rows"):
        _ledger_rows(size, campaign, person, rng)
    with _timed(timings, "keylink_progress"):
        _keylink_progress(campaign, person, rng)
    with _timed(timings, "rollup_rebuild"):
        rollups.rebuild()
    generate_rss = _peak_rss_mb()
    with _timed(timings, "analyze"):
        _analyze()
    with _timed(timings, "rollups_check"):
        differences = rollups.differences()
    for line in differences[:10]:
        _progress(f"difference: {line}")

    province = Unit.objects.get(path=_tree.path_of(()))
    city = Unit.objects.get(path=_tree.path_of(_tree.city_position(shape, size.units / 5)))
    county = Unit.objects.get(path=_tree.path_of(_tree.county_position(shape, size.units / 100)))
    town = _busiest_child(county, campaign)
    ledger = Ledger.objects.get(unit=town, campaign=campaign)
    _check_dashboards(campaign, (province, county))

    figure("units_total", Unit.objects.count())
    figure("ledgers_total", Ledger.objects.count())
    figure("problems_total", Problem.objects.count())
    figure("measures_total", Measure.objects.count())
    figure("keylink_obligations_total", KeyLinkObligation.objects.count())
    figure("keylink_progress_total", KeyLinkProgress.objects.count())
    figure("city_dashboard_units", Unit.objects.subtree_of(city).count())
    figure("county_dashboard_units", Unit.objects.subtree_of(county).count())
    figure("unit_ledger_problems", ledger.problems.count())
    figure("unit_ledger_measures", Measure.objects.filter(problem__ledger=ledger).count())
    for step in GENERATION_STEPS:
        figure(f"{step}_{db}_s", f"{timings[step]:.2f}")
    generate_s = sum(timings[step] for step in GENERATION_STEPS)
    figure(f"generate_{db}_s", f"{generate_s:.2f}")
    figure(f"generate_peak_rss_{db}_mb", f"{generate_rss:.0f}")
    figure(f"analyze_{db}_s", f"{timings['analyze']:.2f}")
    figure(f"rollups_check_{db}_s", f"{timings['rollups_check']:.2f}")
    figure(f"rollups_exact_{db}", "no" if differences else "yes")

    groupby_ms = _groupby_median_ms(Measure.objects.count())
    _progress("requesting the pages")
    urls = {
        "province_dashboard": f"/dashboard/{province.pk}/{campaign.key}/",
        "city_dashboard": f"/dashboard/{city.pk}/{campaign.key}/",
        "county_dashboard": f"/dashboard/{county.pk}/{campaign.key}/",
        "unit_ledger": f"/ledger/{town.pk}/{campaign.key}/",
    }
    pages = _request_pages(person, urls, size.requests, profile=profile)
    for page in PAGES:
        samples, queries, sql_ms = pages[page]
        figure(f"{page}_{db}_median_ms", f"{statistics.median(samples):.2f}")
        figure(f"{page}_{db}_p95_ms", f"{_p95(samples):.2f}")
        figure(f"{page}_{db}_queries", queries)
        figure(f"{page}_{db}_sql_ms", f"{sql_ms:.2f}")
    figure(f"groupby_{db}_median_ms", f"{groupby_ms:.2f}")
    slowest = max(statistics.median(pages[page][0]) for page in DASHBOARDS)
    figure(f"dashboard_vs_groupby_{db}_ratio", f"{slowest / groupby_ms:.3f}")
    figure(f"peak_rss_{db}_mb", f"{_peak_rss_mb():.0f}")
    connection.close()


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    _progress(f"{step} ...")
    started = perf_counter()
    yield
    timings[step] = perf_counter() - started
    _progress(f"{step}: {timings[step]:.1f} s, peak RSS {_peak_rss_mb():.0f} MB")


def _progress(message: str) -> None:
    print(f"[rollup] {message}", file=sys.stderr, flush=True)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _check(condition: bool, message: str) -> None:
    """Like assert, but kept under ``python -O``: a benchmark that measures a wrong answer is worthless."""
    if not condition:
        raise AssertionError(message)


def _persona() -> "Person":
    """A member of the province's leading-group office: may view every dashboard and ledger."""
    from dalun.org.choices import Role
    from dalun.org.models import Unit
    from dalun.org.policy import SYSTEM
    from dalun.org.services import person_create, role_assign

    person = person_create(
        actor=SYSTEM, username="office", display_name="省委办公室", password="bench-office-1"
    )
    role_assign(actor=SYSTEM, person=person, role=Role.OFFICE, unit=Unit.objects.get(path=_tree.path_of(())))
    return person


def _campaign() -> "Campaign":
    from django.utils import timezone

    from dalun.campaigns.services import campaign_create, shipped_templates
    from dalun.org.models import Unit
    from dalun.org.policy import SYSTEM

    template = shipped_templates()["big-discussion"]
    return campaign_create(
        actor=SYSTEM,
        template_text=template.read_text(encoding="utf-8"),
        source=template.name,
        starts_on=timezone.localdate() - datetime.timedelta(days=TODAY_DAY),
        owner_unit=Unit.objects.get(path=_tree.path_of(())),
    )


def _deploy(campaign: "Campaign") -> None:
    from dalun.campaigns.services import campaign_deploy
    from dalun.org.models import Unit
    from dalun.org.policy import SYSTEM

    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(path=_tree.path_of(())))


@contextmanager
def _dated_as_given(*models: type) -> Iterator[None]:
    """Let ``bulk_create`` keep the ``created_at`` we give (it is ``auto_now_add``), as a data load would."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _ledger_rows(size: Size, campaign: "Campaign", person: "Person", rng: random.Random) -> None:
    """Ledgers, problems and measures, inserted in batches of about BATCH_PROBLEMS problems."""
    from django.db import transaction
    from django.utils import timezone

    from dalun.ledger.choices import LedgerStatus, ProblemSource, Visibility
    from dalun.ledger.models import Ledger, Measure, Problem
    from dalun.org.models import Unit

    units = list(Unit.objects.order_by("path").values_list("pk", "depth"))
    problems_of_unit = _tree.apportion(
        size.problems, [PROBLEMS_BY_DEPTH[depth] * rng.uniform(0.5, 1.5) for _pk, depth in units]
    )
    measures_of_problem = iter(
        _tree.apportion(size.measures, [rng.uniform(0.3, 1.7) for _ in range(size.problems)])
    )
    categories = list(campaign.categories.order_by("position"))
    category_weights = [rng.uniform(0.5, 2.0) for _ in categories]
    texts = {
        category.pk: [example["zh-hans"] for example in category.examples]
        or [category.description["zh-hans"]]
        for category in categories
    }
    sources, source_weights = list(ProblemSource.values), [70, 15, 10, 5]
    ledger_statuses = [
        LedgerStatus.DRAFT,
        LedgerStatus.SUBMITTED,
        LedgerStatus.ACCEPTED,
        LedgerStatus.RETURNED,
    ]
    zone = timezone.get_current_timezone()
    factory = _MeasureFactory(campaign, person, rng)

    ledgers: list[Ledger] = []
    problems: list[Problem] = []
    measures: list[Measure] = []

    def flush() -> None:
        with transaction.atomic():
            Ledger.objects.bulk_create(ledgers)
            Problem.objects.bulk_create(problems)
            Measure.objects.bulk_create(measures)
        ledgers.clear()
        problems.clear()
        measures.clear()

    with _dated_as_given(Problem, Measure):
        for (unit_id, _depth), count in zip(units, problems_of_unit, strict=True):
            if not count:
                continue
            ledger = Ledger(campaign=campaign, unit_id=unit_id, status=rng.choice(ledger_statuses))
            ledgers.append(ledger)
            for _ in range(count):
                category = rng.choices(categories, category_weights)[0]
                day = rng.randint(10, TODAY_DAY - 1)
                problem = Problem(
                    ledger=ledger,
                    unit_id=unit_id,
                    campaign=campaign,
                    category=category,
                    manifestation=rng.choice(texts[category.pk]),
                    source=rng.choices(sources, source_weights)[0],
                    visibility=Visibility.INTERNAL if rng.random() < 0.15 else Visibility.PUBLIC,
                    created_by=person,
                    created_at=datetime.datetime.combine(
                        campaign.starts_on + datetime.timedelta(days=day),
                        datetime.time(rng.randint(8, 17), rng.randint(0, 59)),
                        tzinfo=zone,
                    ),
                )
                own = [factory.make(problem, unit_id, day) for _ in range(next(measures_of_problem))]
                problem.status = "rectified" if own and all(m.status == "closed" for m in own) else "open"
                problems.append(problem)
                measures.extend(own)
            if len(problems) >= BATCH_PROBLEMS:
                flush()
        flush()


class _MeasureFactory:
    """One measure of a problem recorded on campaign day ``day``, its state drawn as the docstring says."""

    def __init__(self, campaign: "Campaign", person: "Person", rng: random.Random):
        from dalun.ledger.models import Measure

        self.model = Measure
        self.campaign, self.person, self.rng = campaign, person, rng
        self.start, self.end = campaign.starts_on, campaign.ends_on
        self.today = campaign.starts_on + datetime.timedelta(days=TODAY_DAY)
        self.targets = [Decimal(value) for value in ("100.00", "95.00", "12.00", "30.00", "3.00", "500.00")]

    def make(self, problem: "Problem", unit_id: int, day: int) -> "Measure":
        rng = self.rng
        recorded = self.start + datetime.timedelta(days=min(day + rng.randint(0, 5), TODAY_DAY - 1))
        deadline = min(recorded + datetime.timedelta(days=rng.randint(15, 120)), self.end)
        yesterday = self.today - datetime.timedelta(days=1)
        draw = rng.random()
        closed_on = None
        if deadline < self.today:
            # Past its deadline: 45% closed on time, 25% closed late, 8% awaiting verification, 22% open.
            if draw < 0.25 and deadline < yesterday:
                status, closed_on = (
                    "closed",
                    deadline + datetime.timedelta(days=rng.randint(1, (yesterday - deadline).days)),
                )
            elif draw < 0.70:
                status, closed_on = (
                    "closed",
                    recorded + datetime.timedelta(days=rng.randint(0, (deadline - recorded).days)),
                )
            else:
                status = "closing" if draw < 0.78 else "open"
        else:
            # Deadline ahead: 25% already closed, 10% awaiting verification, 65% in progress.
            if draw < 0.25:
                status, closed_on = (
                    "closed",
                    recorded + datetime.timedelta(days=rng.randint(0, max((yesterday - recorded).days, 0))),
                )
            else:
                status = "closing" if draw < 0.35 else "open"
        indicator, target_unit = rng.choice(INDICATORS)
        return self.model(
            problem=problem,
            unit_id=unit_id,
            campaign=self.campaign,
            action=rng.choice(ACTIONS),
            indicator=indicator,
            baseline=None if rng.random() < 0.5 else Decimal(rng.randint(0, 50)),
            target=rng.choice(self.targets),
            target_unit=target_unit,
            owner=rng.choice(OWNERS),
            deadline=deadline,
            deadline_estimated=rng.random() < 0.1,
            progress=100 if status != "open" else 10 * rng.randint(0, 9),
            status=status,
            closed_on=closed_on,
            verified_by=self.person if status == "closed" else None,
            created_by=self.person,
            created_at=datetime.datetime.combine(
                recorded,
                datetime.time(rng.randint(8, 17), rng.randint(0, 59)),
                tzinfo=problem.created_at.tzinfo,
            ),
        )


def _keylink_progress(campaign: "Campaign", person: "Person", rng: random.Random) -> None:
    """Progress reported on the obligations whose window has opened: most done once it has closed."""
    from django.db import transaction

    from dalun.campaigns.models import KeyLinkObligation
    from dalun.ledger.choices import KeyLinkStatus
    from dalun.ledger.models import KeyLinkProgress

    today = campaign.starts_on + datetime.timedelta(days=TODAY_DAY)
    links = {link.pk: link for link in campaign.key_links.all()}
    batch: list[KeyLinkProgress] = []

    def flush() -> None:
        KeyLinkProgress.objects.bulk_create(batch)
        batch.clear()

    obligations = (
        KeyLinkObligation.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", "unit_id", "key_link_id")
        .iterator(chunk_size=BATCH_ROWS)
    )
    with transaction.atomic():
        for obligation_id, unit_id, link_id in obligations:
            link = links[link_id]
            if link.starts_on > today:
                continue
            last = min(link.ends_on, today)
            elapsed = ((last - link.starts_on).days + 1) / ((link.ends_on - link.starts_on).days + 1)
            draw = rng.random()
            if draw < 0.8 * elapsed:
                status = KeyLinkStatus.DONE
            elif draw < 0.8 * elapsed + 0.15:
                status = KeyLinkStatus.IN_PROGRESS
            else:
                continue
            batch.append(
                KeyLinkProgress(
                    obligation_id=obligation_id,
                    unit_id=unit_id,
                    campaign=campaign,
                    status=status,
                    reported_on=link.starts_on
                    + datetime.timedelta(days=rng.randint(0, (last - link.starts_on).days)),
                    note=rng.choice(NOTES),
                    updated_by=person,
                )
            )
            if len(batch) >= BATCH_ROWS:
                flush()
        flush()


def _analyze() -> None:
    """Fresh planner statistics (and, on PostgreSQL, a visibility map), as a maintained database has."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _busiest_child(unit: "Unit", campaign: "Campaign") -> "Unit":
    """The child of ``unit`` with the most problems in ``campaign``."""
    from django.db.models import Count

    from dalun.ledger.models import Problem
    from dalun.org.models import Unit

    counts = (
        Problem.objects.filter(campaign=campaign, unit__parent=unit)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by("-n", "unit_id")
    )
    return Unit.objects.get(pk=counts[0]["unit_id"])


def _check_dashboards(campaign: "Campaign", units: tuple["Unit", ...]) -> None:
    """The dashboard's figures (from the counters) equal what the rows say, for each of ``units``."""
    from django.db.models import Q
    from django.utils import timezone

    from dalun.campaigns.models import KeyLinkObligation
    from dalun.dashboards.selectors import dashboard
    from dalun.ledger.models import Measure, Problem
    from dalun.org.models import Unit

    today = timezone.localdate()
    for unit in units:
        board = dashboard(unit=unit, campaign=campaign)
        subtree = Unit.objects.subtree_of(unit)
        measures = Measure.objects.filter(campaign=campaign, unit__in=subtree)
        expected = {
            "problems": Problem.objects.filter(campaign=campaign, unit__in=subtree).count(),
            "measures": measures.count(),
            "overdue": measures.filter(~Q(status="closed"), deadline__lt=today).count(),
            "obligations": KeyLinkObligation.objects.filter(campaign=campaign, unit__in=subtree).count(),
        }
        shown = {
            "problems": board.problem_total,
            "measures": board.measure_total,
            "overdue": board.measures["overdue"],
            "obligations": sum(cell.total for cell in board.link_cells),
        }
        _check(shown == expected, f"dashboard of {unit.name}: shows {shown}, the rows say {expected}")


def _groupby_median_ms(measures_total: int) -> float:
    """The baseline: one bare GROUP BY over every measure, median of GROUPBY_RUNS after a warm-up."""
    from django.db import connection

    def run() -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, COUNT(*) FROM ledger_measure GROUP BY status")
            return cursor.fetchall()

    _check(sum(count for _status, count in run()) == measures_total, "GROUP BY missed measures")
    samples = []
    for _ in range(GROUPBY_RUNS):
        started = perf_counter()
        run()
        samples.append((perf_counter() - started) * 1000)
    return statistics.median(samples)


def _request_pages(
    person: "Person", urls: dict[str, str], requests: int, *, profile: bool
) -> dict[str, tuple[list[float], int, float]]:
    """Per page: the times of ``requests`` requests (ms), the queries one request issues, and their time."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    host = "testserver" if "testserver" in settings.ALLOWED_HOSTS else settings.ALLOWED_HOSTS[0]
    client = Client(HTTP_HOST=host)
    client.force_login(person)

    def get(url: str) -> None:
        response = client.get(url)
        _check(response.status_code == 200, f"GET {url} answered {response.status_code}")

    executed: list[tuple[float, str, Any]] = []  # (ms, sql, params) of each query of the counted request

    def timer(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            executed.append(((perf_counter() - started) * 1000, sql, params))

    counts: dict[str, tuple[int, float]] = {}
    slowest: dict[str, list[tuple[float, str, Any]]] = {}
    for page, url in urls.items():
        get(url)  # warm-up
        executed.clear()
        with connection.execute_wrapper(timer), CaptureQueriesContext(connection) as captured:
            get(url)
        counts[page] = (len(captured), sum(ms for ms, _sql, _params in executed))
        slowest[page] = sorted(executed, key=lambda query: query[0], reverse=True)[:3]
    samples: dict[str, list[float]] = {page: [] for page in urls}
    for _ in range(requests):
        for page, url in urls.items():
            started = perf_counter()
            get(url)
            samples[page].append((perf_counter() - started) * 1000)
    if profile:
        for page, url in urls.items():
            profiler = cProfile.Profile()
            profiler.runcall(get, url)
            _progress(f"profile of {page} ({url}):")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            for ms, sql, params in slowest[page]:
                _progress(f"{page}: query of {ms:.2f} ms: {sql[:400]} {params}\n{_plan(sql, params)}")
    return {page: (samples[page], *counts[page]) for page in urls}


def _plan(sql: str, params: Any) -> str:
    """The query's plan: executed (EXPLAIN ANALYZE) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    from django.db import connection

    explain = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return "\n".join("    " + " ".join(str(cell) for cell in row) for row in cursor.fetchall())


def _p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


if __name__ == "__main__":
    main()
