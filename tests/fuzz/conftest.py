"""Fuzzing settings shared by the API, importer and template-loader fuzz tests.

CI runs a small, reproducible number of examples per test (``DALUN_FUZZ_EXAMPLES``, default 20, with a fixed
seed); a by-hand run raises it, e.g. ``DALUN_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/fuzz``, and then the
examples are random (set ``DALUN_FUZZ_DERANDOMIZE=1`` to keep them fixed). See docs/fuzzing.md.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 20
EXAMPLES = int(os.environ.get("DALUN_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
DERANDOMIZE = os.environ.get("DALUN_FUZZ_DERANDOMIZE", "1" if EXAMPLES == DEFAULT_EXAMPLES else "0") == "1"

#: One profile for every fuzz test: no deadline (the first example warms caches), no example database
#: (a failing example is printed and reproduced from the seed), fixtures set up once per test function.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture
def table_counts():
    """Row counts of every table an import may write (the import jobs themselves excepted)."""
    from django.apps import apps

    from dalun.org.models import ImportJob

    def counts() -> dict[str, int]:
        models = [
            model
            for label in ("org", "ledger", "audit", "campaigns")
            for model in apps.get_app_config(label).get_models()
            if model is not ImportJob
        ]
        return {model._meta.label: model._default_manager.count() for model in models}

    return counts
