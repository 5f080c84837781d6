"""The rules over free text: copied work, slogans instead of substance, blame-shifting.

They read every registered text of a campaign (:mod:`dalun.formalism.texts`) once and hand the pure engines
plain strings: near-duplicates through the persistent index (:mod:`dalun.formalism.index`), matching
passages from :func:`dalun.engines.segment.passages`, slogans and blame-shifting from
:mod:`dalun.engines.formalism`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from dalun.campaigns.models import Campaign
from dalun.engines import formalism as detectors
from dalun.engines.segment import passages, tokens
from dalun.formalism.candidates import Candidate, fingerprint
from dalun.formalism.choices import AlertRule
from dalun.formalism.index import CampaignIndex, canonical, digest
from dalun.formalism.texts import SOURCES, TextItem, iter_texts, template_texts
from dalun.org.models import Unit


def _order(ref: str) -> tuple[str, int, str]:
    label, _sep, rest = ref.partition(":")
    pk, _hash, part = rest.partition("#")
    return label, int(pk), part


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def text_candidates(campaign: Campaign, conf: dict[str, Any], stats: dict[str, int]) -> list[Candidate]:
    """Copied, slogan and blame-shifting candidates over every text of ``campaign``."""
    items = [item for item in iter_texts(campaign) if item.text.strip()]
    names = {
        pk: (name, name_en)
        for pk, name, name_en in Unit.objects.filter(pk__in={item.unit_id for item in items}).values_list(
            "pk", "name", "name_en"
        )
    }
    found = _copied(campaign, items, names, conf, stats)
    found += _slogans(items, names, conf)
    found += _blame(items, names, conf)
    return found


def _unit_names(names: dict[int, tuple[str, str]], unit_id: int) -> tuple[str, str]:
    return names.get(unit_id, ("", ""))


def _text_entry(item: TextItem, names: dict[int, tuple[str, str]], spans: list[list[int]]) -> dict[str, Any]:
    return {
        "ref": item.ref,
        "source": item.source,
        "unit": item.unit_id,
        "unit_name": _unit_names(names, item.unit_id)[0],
        "text": item.text,
        "spans": spans,
    }


def _copied(
    campaign: Campaign,
    items: list[TextItem],
    names: dict[int, tuple[str, str]],
    conf: dict[str, Any],
    stats: dict[str, int],
) -> list[Candidate]:
    groups: dict[str, list[TextItem]] = defaultdict(list)
    texts: dict[str, str] = {}
    for item in items:
        text = canonical(item.text, _unit_names(names, item.unit_id))
        if len(tokens(text)) < conf["copied_min_words"]:
            continue
        key = "u" + digest(text)
        groups[key].append(item)
        texts[key] = text
    templates: dict[str, list[Any]] = defaultdict(list)
    for template in template_texts(campaign):
        key = "t" + digest(canonical(template.text))
        templates[key].append(template)
        texts[key] = canonical(template.text)
    index = CampaignIndex(campaign.pk)
    added, removed = index.sync(texts)
    stats["texts_hashed"] = added
    stats["texts_removed"] = removed
    threshold = min(conf["copied_threshold"], conf["template_threshold"])
    pairs = index.pairs(texts, threshold=threshold)
    index.save()

    # Components of near-copies among units' texts; one shared by too many units is a formula, not a copy.
    union = _UnionFind()
    unit_pairs: list[tuple[str, str, float]] = []
    template_pairs: list[tuple[str, str, float]] = []
    for a, b, similarity in pairs:
        if a[0] == "u" and b[0] == "u":
            if similarity >= conf["copied_threshold"]:
                union.union(a, b)
                unit_pairs.append((a, b, similarity))
        elif a[0] != b[0] and similarity >= conf["template_threshold"]:
            unit_key, template_key = (a, b) if a[0] == "u" else (b, a)
            template_pairs.append((unit_key, template_key, similarity))
    members: dict[str, set[int]] = defaultdict(set)
    for key, group in groups.items():
        members[union.find(key)].update(item.unit_id for item in group)
    widespread = {root for root, units in members.items() if len(units) > conf["copied_max_units"]}
    stats["widespread_texts"] = sum(
        len(group) for key, group in groups.items() if union.find(key) in widespread
    )

    found: list[Candidate] = []
    seen: set[tuple[str, str]] = set()

    def pair(a: TextItem, b: TextItem, similarity: float) -> None:
        if a.unit_id == b.unit_id:
            return
        if _order(b.ref) < _order(a.ref):
            a, b = b, a
        if (a.ref, b.ref) in seen:
            return
        seen.add((a.ref, b.ref))
        shared = passages(a.text, b.text, min_words=conf["passage_min_words"])
        found.append(
            Candidate(
                rule=AlertRule.COPIED_PAIR,
                unit_id=b.unit_id,  # the later record is taken as the copy
                key=f"{a.ref}|{b.ref}",
                records=[
                    {"ref": a.ref, "fp": fingerprint(a.text), "unit": a.unit_id},
                    {"ref": b.ref, "fp": fingerprint(b.text), "unit": b.unit_id},
                ],
                explanation={
                    "similarity": round(similarity, 4),
                    "threshold": conf["copied_threshold"],
                    "passages": len(shared),
                    "texts": [
                        _text_entry(a, names, [[p.a_start, p.a_end] for p in shared]),
                        _text_entry(b, names, [[p.b_start, p.b_end] for p in shared]),
                    ],
                },
                score=round(similarity, 4),
                extra={"other_unit": a.unit_id},
            )
        )

    for key, group in groups.items():
        if union.find(key) in widespread or len(group) < 2:
            continue
        for position, first in enumerate(group):
            for second in group[position + 1 :]:
                pair(first, second, 1.0)
    for a_key, b_key, similarity in unit_pairs:
        if union.find(a_key) in widespread:
            continue
        for first in groups[a_key]:
            for second in groups[b_key]:
                pair(first, second, similarity)
    for unit_key, template_key, similarity in template_pairs:
        template = templates[template_key][0]
        for item in groups.get(unit_key, []):
            shared = passages(template.text, item.text, min_words=conf["passage_min_words"])
            found.append(
                Candidate(
                    rule=AlertRule.COPIED_TEMPLATE,
                    unit_id=item.unit_id,
                    key=f"{item.ref}|{template.ref}",
                    records=[{"ref": item.ref, "fp": fingerprint(item.text), "unit": item.unit_id}],
                    explanation={
                        "similarity": round(similarity, 4),
                        "threshold": conf["template_threshold"],
                        "passages": len(shared),
                        "texts": [
                            {
                                "ref": template.ref,
                                "source": "template",
                                "unit": None,
                                "unit_name": "",
                                "text": template.text,
                                "spans": [[p.a_start, p.a_end] for p in shared],
                            },
                            _text_entry(item, names, [[p.b_start, p.b_end] for p in shared]),
                        ],
                    },
                    score=round(similarity, 4),
                )
            )
    return found


@lru_cache(maxsize=65536)
def _slogan(text: str, threshold: float, discount: float, extra: tuple[str, ...]) -> detectors.SloganResult:
    return detectors.slogan(text, threshold=threshold, fact_discount=discount, extra_phrases=extra)


@lru_cache(maxsize=65536)
def _blame_cached(text_: str, threshold: float) -> detectors.BlameResult:
    return detectors.blame_shifting(text_, threshold=threshold)


def canonical_subject(text: str, names: Iterable[str]) -> str:
    """``text`` with the unit's own name replaced by 本单位 ("this unit")."""
    for name in sorted({name for name in names if name and len(name) >= 2}, key=len, reverse=True):
        text = text.replace(name, "本单位")
    return text


def _refind(text: str, evidence: Iterable[detectors.Evidence]) -> list[list[Any]]:
    """Evidence found in a rewritten text, located again in the text as written (where it occurs)."""
    spans: list[list[Any]] = []
    for item in evidence:
        start = text.find(item.text)
        if start >= 0:
            spans.append([start, start + len(item.text), item.kind])
    return spans


def _spans(evidence: Iterable[detectors.Evidence]) -> list[list[Any]]:
    return [[item.start, item.end, item.kind] for item in evidence]


def _slogans(
    items: list[TextItem], names: dict[int, tuple[str, str]], conf: dict[str, Any]
) -> list[Candidate]:
    own = [item for item in items if SOURCES[item.source].self_examination]
    extra: tuple[str, ...] = ()
    if conf["learn_stock_phrases"]:
        extra = tuple(
            detectors.learn_stock_phrases(
                ((str(item.unit_id), item.text) for item in own),
                min_units=conf["learn_min_units"],
                min_share=conf["learn_min_share"],
            )
        )
    by_unit: dict[int, list[TextItem]] = defaultdict(list)
    for item in own:
        if len(tokens(item.text)) >= conf["slogan_min_words"]:
            by_unit[item.unit_id].append(item)
    found: list[Candidate] = []
    for unit_id, unit_items in by_unit.items():
        results = [
            (item, _slogan(item.text, conf["slogan_threshold"], conf["slogan_fact_discount"], extra))
            for item in unit_items
        ]
        slogans = [(item, result) for item, result in results if result.verdict]
        share = len(slogans) / len(results)
        if len(slogans) < conf["slogan_ledger_min_texts"] or share < conf["slogan_ledger_share"]:
            continue
        found.append(
            Candidate(
                rule=AlertRule.SLOGAN_LEDGER,
                unit_id=unit_id,
                key=f"unit:{unit_id}",
                records=[
                    {"ref": item.ref, "fp": fingerprint(item.text), "unit": unit_id} for item, _r in slogans
                ],
                explanation={
                    "slogan_texts": len(slogans),
                    "texts_checked": len(results),
                    "share": round(share, 4),
                    "threshold": conf["slogan_threshold"],
                    "share_threshold": conf["slogan_ledger_share"],
                    "texts": [
                        {
                            **_text_entry(item, names, _spans(result.stock) + _spans(result.facts)),
                            "score": result.score,
                            "stock_share": result.stock_share,
                            "missing": list(result.missing),
                        }
                        for item, result in slogans
                    ],
                },
                score=round(share, 4),
            )
        )
    return found


def _blame(items: list[TextItem], names: dict[int, tuple[str, str]], conf: dict[str, Any]) -> list[Candidate]:
    found: list[Candidate] = []
    for item in items:
        if item.source != "ledger.problem":
            continue
        # The unit naming itself is the unit speaking of itself: say so in words the detector knows.
        masked = canonical_subject(item.text, _unit_names(names, item.unit_id))
        result = _blame_cached(masked, conf["blame_threshold"])
        if not result.verdict:
            continue
        spans = _spans(result.outward) + _spans(result.own)
        if masked != item.text:
            spans = _refind(item.text, [*result.outward, *result.own])
        found.append(
            Candidate(
                rule=AlertRule.BLAME_PROBLEM,
                unit_id=item.unit_id,
                key=item.ref,
                records=[{"ref": item.ref, "fp": fingerprint(item.text), "unit": item.unit_id}],
                explanation={
                    "score": result.score,
                    "threshold": conf["blame_threshold"],
                    "texts": [_text_entry(item, names, spans)],
                },
                score=result.score,
            )
        )
    return found
