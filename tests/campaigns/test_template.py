"""Campaign template loading: the reference campaign, and errors that name the line and key to fix.

Plain tests: the loader is pure Python, so neither Django nor a database is needed.
"""

from pathlib import Path

import pytest

from dalun.campaigns.template import (
    CAPABILITIES,
    CampaignTemplate,
    LocalizedText,
    TemplateError,
    load_template,
    load_template_file,
)

REFERENCE = Path(__file__).parents[2] / "src/dalun/campaign_templates/big-discussion.yaml"

KNOWN_UNIT_KINDS = (
    "province",
    "prefecture_city",
    "district",
    "county",
    "county_level_city",
    "statistical_zone",
    "subdistrict",
    "town",
    "township",
    "township_like",
    "residents_committee",
    "villagers_committee",
    "residents_committee_like",
    "villagers_committee_like",
    "department",
    "university",
    "enterprise",
    "party_committee",
    "development_zone",
    "other",
)

# A small valid template; the error tests change one line of it, so the line numbers below are exact.
MINIMAL = """\
format: dalun.campaign/1
key: mini
name: {zh-hans: 小讨论, en: Small discussion}
description: {zh-hans: 测试用模板, en: A template for tests}
duration_days: 100
deadlines:
  suggestion_response_working_days: 15
  suggestion_escalation_working_days: 5
  problem_rectification_default_working_days: 60
requirement_classes:
  - key: city_county
    name: {zh-hans: 市县, en: Cities and counties}
    unit_kinds: [prefecture_city, county]
    requirements:
      - {zh-hans: 带头讨论, en: Lead the discussion}
  - key: villages
    name: {zh-hans: 村, en: Villages}
    unit_kinds: [villagers_committee]
    requirements:
      - {zh-hans: 查摆问题, en: Examine problems}
problem_categories:
  - key: reform_awareness
    name: {zh-hans: 改革意识不强, en: Weak awareness of reform}
    symptom: {zh-hans: 因循守旧, en: Rigidity}
    description: {zh-hans: 怕担风险, en: Fear of risk}
  - key: work_style
    name: {zh-hans: 工作作风不实, en: A work style lacking substance}
    symptom: {zh-hans: 懒政怠政, en: Lazy governance}
    description: {zh-hans: 推诿扯皮, en: Passing the buck}
key_links:
  - key: mobilisation
    name: {zh-hans: 动员部署, en: Mobilisation}
    description: {zh-hans: 召开动员会, en: Hold a mobilisation meeting}
    window: {start_day: 0, end_day: 9}
    applies_to: [all]
  - key: major_measures
    name: {zh-hans: 出台重大举措, en: Major measures}
    description: {zh-hans: 出台举措, en: Issue measures}
    window:
      start_day: 10
      end_day: 40
    applies_to: [city_county]
    evidence_required: true
breakthroughs:
  - key: innovation
    name: {zh-hans: 科技创新, en: Innovation}
    description: {zh-hans: 加大研发投入, en: Spend more on research}
phases:
  - key: discussion
    name: {zh-hans: 讨论, en: Discussion}
    window: {start_day: 0, end_day: 49}
    allows: [suggestion.create, ledger.edit]
  - key: summing_up
    name: {zh-hans: 总结, en: Summing up}
    window: {start_day: 50, end_day: 99}
    allows: [assessment.score]
"""


def _edit(line_number: int, new_line: str, text: str = MINIMAL) -> str:
    """Replace one (1-based) line of the template."""
    lines = text.splitlines()
    lines[line_number - 1] = new_line
    return "\n".join(lines) + "\n"


def _load(text: str) -> CampaignTemplate:
    return load_template(text, source="mini.yaml", known_unit_kinds=KNOWN_UNIT_KINDS)


def _errors(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(TemplateError) as caught:
        _load(text)
    return [(issue.line, issue.key_path, issue.message) for issue in caught.value.errors]


def _single_error(text: str) -> tuple[int | None, str, str]:
    errors = _errors(text)
    assert len(errors) == 1, errors
    return errors[0]


@pytest.fixture(scope="module")
def reference() -> CampaignTemplate:
    return load_template_file(REFERENCE, known_unit_kinds=KNOWN_UNIT_KINDS)


# The reference campaign


def test_reference_has_the_six_problem_categories_in_order(reference: CampaignTemplate) -> None:
    assert [(c.name.zh_hans, c.symptom.zh_hans) for c in reference.problem_categories] == [
        ("改革意识不强", "因循守旧"),
        ("创新精神不足", "墨守成规"),
        ("开放程度不够", "封闭保守"),
        ("市场观念淡薄", "资源依赖"),
        ("工作标杆不高", "安于现状"),
        ("工作作风不实", "懒政怠政"),
    ]


def test_reference_has_the_ten_key_links_in_campaign_order(reference: CampaignTemplate) -> None:
    assert [link.key for link in reference.key_links] == [
        "mobilisation",
        "study_discussion",
        "model_case_reports",
        "benchmarking",
        "target_responsibility",
        "life_meetings",
        "major_measures",
        "first_quarter",
        "cadre_visits",
        "summing_up",
    ]


def test_reference_has_six_breakthroughs(reference: CampaignTemplate) -> None:
    assert len(reference.breakthroughs) == 6


def test_reference_puts_every_known_unit_kind_in_exactly_one_requirement_class(
    reference: CampaignTemplate,
) -> None:
    kinds = [kind for rc in reference.requirement_classes for kind in rc.unit_kinds]
    assert sorted(kinds) == sorted(KNOWN_UNIT_KINDS)


def test_reference_spares_villages_the_model_case_meeting_and_major_measures(
    reference: CampaignTemplate,
) -> None:
    village_links = [link.key for link in reference.key_links_for("villagers_committee")]
    assert "model_case_reports" not in village_links
    assert "major_measures" not in village_links
    assert {"mobilisation", "life_meetings", "summing_up"} <= set(village_links)
    assert len(reference.key_links_for("province")) == 10


def test_reference_phases_switch_capabilities_by_day(reference: CampaignTemplate) -> None:
    last_day = reference.duration_days - 1
    assert not reference.allows("ledger.edit", day=0)
    assert reference.allows("ledger.edit", day=10)
    assert reference.allows("assessment.score", day=last_day)
    assert not reference.allows("suggestion.create", day=last_day)
    assert reference.phase_on(reference.duration_days) is None
    used = {capability for phase in reference.phases for capability in phase.allows}
    assert used == set(CAPABILITIES)


def test_allows_rejects_a_misspelt_capability_in_code(reference: CampaignTemplate) -> None:
    with pytest.raises(ValueError, match="unknown capability 'ledger.edits'"):
        reference.allows("ledger.edits", day=0)


def test_localized_text_falls_back_to_simplified_chinese() -> None:
    text = LocalizedText.model_validate({"zh-hans": "动员部署", "en": "Mobilisation"})
    assert text.get("en-us") == "Mobilisation"
    assert text.get("zh-Hans") == "动员部署"
    assert text.get("fr") == "动员部署"


def test_minimal_template_is_valid() -> None:
    template = _load(MINIMAL)
    assert [link.key for link in template.key_links_for("county")] == ["mobilisation", "major_measures"]
    assert template.key_links_for("villagers_committee")[0].key == "mobilisation"


# YAML-level errors


def test_bad_indentation_is_reported_on_its_line() -> None:
    line, key_path, message = _single_error(_edit(41, "     end_day: 40"))
    assert (line, key_path) == (41, "")
    assert "invalid YAML" in message and "indentation" in message


def test_tab_indentation_is_reported_on_its_line() -> None:
    line, key_path, message = _single_error(_edit(11, "\t- key: city_county"))
    assert (line, key_path) == (11, "")
    assert "tab character" in message


def test_duplicate_mapping_key_is_reported_where_it_repeats() -> None:
    text = _edit(35, "    window: {start_day: 1, end_day: 2}\n    applies_to: [all]")
    line, key_path, message = _single_error(text)
    assert (line, key_path) == (35, "key_links[0].window")
    assert "duplicate key 'window' (first given on line 34)" in message


def test_non_utf8_file_is_rejected_with_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(_edit(3, "name: {zh-hans: 小讨论, en: Small}").encode("gbk"))
    with pytest.raises(TemplateError) as caught:
        load_template_file(path, known_unit_kinds=KNOWN_UNIT_KINDS)
    [issue] = caught.value.errors
    assert (issue.line, issue.key_path) == (3, "")
    assert "not valid UTF-8" in issue.message


def test_unreadable_value_is_reported_on_its_line() -> None:
    line, key_path, message = _single_error(_edit(5, "duration_days: !!int abc"))
    assert (line, key_path) == (5, "")
    assert message.startswith("invalid YAML: cannot read this value")


def test_empty_template_is_an_error() -> None:
    assert _single_error("# nothing here\n") == (1, "", "the template is empty")


# Schema errors


def test_missing_english_text_names_the_key_and_line() -> None:
    assert _single_error(_edit(24, "    symptom: {zh-hans: 因循守旧}")) == (
        24,
        "problem_categories[0].symptom.en",
        "required key is missing",
    )


def test_blank_chinese_text_is_rejected() -> None:
    line, key_path, message = _single_error(_edit(17, "    name: {zh-hans: '  ', en: Villages}"))
    assert (line, key_path, message) == (17, "requirement_classes[1].name.zh-hans", "must not be empty")


def test_wrong_format_string_is_rejected() -> None:
    assert _single_error(_edit(1, "format: dalun.campaign/2")) == (
        1,
        "format",
        "unsupported format 'dalun.campaign/2'; expected 'dalun.campaign/1'",
    )


def test_misspelt_key_is_reported_as_unknown() -> None:
    line, key_path, message = _single_error(_edit(43, "    evidence_requird: true"))
    assert (line, key_path) == (43, "key_links[1].evidence_requird")
    assert message.startswith("unknown key")


def test_quoted_number_is_not_silently_converted() -> None:
    line, key_path, message = _single_error(_edit(5, "duration_days: '100'"))
    assert (line, key_path, message) == (5, "duration_days", "expected a whole number, got text")


def test_window_ending_before_it_starts_is_rejected() -> None:
    assert _single_error(_edit(41, "      end_day: 5")) == (
        41,
        "key_links[1].window.end_day",
        "window ends on day 5, before it starts on day 10",
    )


def test_unknown_capability_is_rejected_with_a_suggestion() -> None:
    line, key_path, message = _single_error(_edit(56, "    allows: [assessment.score, ledger.edits]"))
    assert (line, key_path) == (56, "phases[1].allows[1]")
    assert message.startswith(
        "unknown capability 'ledger.edits' (did you mean 'ledger.edit'?); expected one of:"
    )


# Cross-field errors


def test_unknown_unit_kind_is_rejected_with_a_suggestion() -> None:
    line, key_path, message = _single_error(_edit(18, "    unit_kinds: [villagers_commitee]"))
    assert (line, key_path) == (18, "requirement_classes[1].unit_kinds[0]")
    assert message.startswith(
        "unknown unit kind 'villagers_commitee' (did you mean 'villagers_committee'?); expected one of: "
    )


def test_unit_kind_in_two_requirement_classes_is_rejected() -> None:
    line, key_path, message = _single_error(_edit(18, "    unit_kinds: [villagers_committee, county]"))
    assert (line, key_path) == (18, "requirement_classes[1].unit_kinds[1]")
    assert "already belongs to requirement class 'city_county'" in message


def test_applies_to_unknown_requirement_class_is_rejected() -> None:
    line, key_path, message = _single_error(_edit(42, "    applies_to: [city_county, village]"))
    assert (line, key_path) == (42, "key_links[1].applies_to[1]")
    assert message.startswith("unknown requirement class 'village' (did you mean 'villages'?)")


def test_applies_to_all_cannot_be_combined_with_class_keys() -> None:
    line, key_path, _ = _single_error(_edit(35, "    applies_to: [all, villages]"))
    assert (line, key_path) == (35, "key_links[0].applies_to[0]")


def test_duplicate_category_key_is_rejected() -> None:
    assert _single_error(_edit(26, "  - key: reform_awareness")) == (
        26,
        "problem_categories[1].key",
        "duplicate key 'reform_awareness'; already used by problem_categories[0]",
    )


def test_window_beyond_the_campaign_duration_is_rejected() -> None:
    line, key_path, message = _single_error(_edit(41, "      end_day: 100"))
    assert (line, key_path) == (41, "key_links[1].window.end_day")
    assert "days run from 0 to 99" in message


def test_overlapping_phases_are_rejected() -> None:
    line, key_path, message = _single_error(_edit(55, "    window: {start_day: 40, end_day: 99}"))
    assert (line, key_path) == (55, "phases[1].window.start_day")
    assert "overlaps phase 'discussion'" in message


# Reporting


def test_every_error_is_collected_and_listed_by_line() -> None:
    text = _edit(1, "format: dalun.campaign/2")
    text = _edit(18, "    unit_kinds: [villige]", text)
    text = _edit(24, "    symptom: {zh-hans: 因循守旧}", text)
    text = _edit(56, "    allows: [ledger.delete]", text)
    with pytest.raises(TemplateError) as caught:
        _load(text)
    assert [(issue.line, issue.key_path) for issue in caught.value.errors] == [
        (1, "format"),
        (18, "requirement_classes[1].unit_kinds[0]"),
        (24, "problem_categories[0].symptom.en"),
        (56, "phases[1].allows[0]"),
    ]
    rendered = str(caught.value).splitlines()
    assert len(rendered) == 4
    assert rendered[2] == "mini.yaml:24: problem_categories[0].symptom.en: required key is missing"


def test_every_capability_has_a_label_for_the_pages():
    from dalun.campaigns.choices import CAPABILITY_LABELS

    assert set(CAPABILITY_LABELS) == set(CAPABILITIES)
