"""The named people of the demo and of the tests (DESIGN.md §10): one per role, at stable usernames."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dalun.org.choices import Role
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM
from dalun.org.services import person_create, role_assign

DEMO_PASSWORD = "dalun-demo"


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    role: str
    unit_code: str
    description: str


PERSONAS = (
    Persona(
        "office",
        "王明 (省领导小组办公室)",
        Role.OFFICE,
        "14",
        "leading-group office administrator of Shanxi Province",
    ),
    Persona(
        "changzhi_head",
        "李建国 (长治市)",
        Role.FIRST_RESPONSIBLE,
        "1404",
        "first responsible person of Changzhi City",
    ),
    Persona(
        "xiaodian_head",
        "张华 (小店区)",
        Role.FIRST_RESPONSIBLE,
        "140105",
        "first responsible person of Xiaodian District, Taiyuan",
    ),
    Persona("xiaodian_clerk", "刘芳 (小店区)", Role.CLERK, "140105", "clerk of Xiaodian District, Taiyuan"),
    Persona(
        "yingze_clerk",
        "陈静 (迎泽区)",
        Role.CLERK,
        "140106",
        "clerk of Yingze District, Taiyuan (sibling of Xiaodian)",
    ),
    Persona(
        "taiyuan_supervisor",
        "赵刚 (督导组)",
        Role.SUPERVISOR,
        "1401",
        "supervisor of the liaison group assigned to Taiyuan",
    ),
    Persona("moderator", "孙丽 (省办公室)", Role.MODERATOR, "14", "moderator of public suggestions"),
    Persona("assessor", "周平 (考核组)", Role.ASSESSOR, "14", "assessor of the province"),
    Persona(
        "field_cadre",
        "吴强 (驻村干部)",
        Role.FIELD_CADRE,
        "140105",
        "field cadre visiting enterprises and villages in Xiaodian",
    ),
)


@transaction.atomic
def ensure_personas(*, password: str = DEMO_PASSWORD) -> list[Persona]:
    """Create the personas and their roles if missing (idempotent); units must be loaded first."""
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=[p.unit_code for p in PERSONAS])}
    created = []
    for persona in PERSONAS:
        if persona.unit_code not in units:
            continue
        person = Person.objects.filter(username=persona.username).first() or person_create(
            actor=SYSTEM, username=persona.username, display_name=persona.display_name, password=password
        )
        role_assign(actor=SYSTEM, person=person, role=persona.role, unit=units[persona.unit_code])
        created.append(persona)
    return created
