"""Settings of the server that ``bench/intake.py`` starts; nothing else uses them.

Dalun's own settings (from the environment the benchmark sets: PostgreSQL, Redis, DEBUG off), with these
changes for the benchmark only:

- X-Forwarded-For is trusted, as behind Dalun's reverse proxy, so that the load tool can send as many
  people from their own addresses; the flood limit keeps its real setting (10 an hour per network);
- the cache keys carry a prefix of the run's own, so that the run can delete its keys afterwards and never
  meets another run's;
- ``DALUN_BENCH_AUDIT_CHAINS`` (environment) sets how many audit chains entries spread over, to measure
  how much submissions wait for one another's chain head (Dalun's default when unset);
- the URLconf adds the benchmark's reference views (``_intake_bare``) beside Dalun's routes, so that they
  are served by the same workers with the same middleware.
"""

import os

from dalun.settings import *  # noqa: F403
from dalun.settings import CACHES as DALUN_CACHES

DALUN_TRUST_X_FORWARDED_FOR = True

CACHES = {
    "default": {**DALUN_CACHES["default"], "KEY_PREFIX": os.environ.get("DALUN_BENCH_CACHE_PREFIX", "bench")}
}

ROOT_URLCONF = "_intake_bare"

if os.environ.get("DALUN_BENCH_AUDIT_CHAINS"):
    DALUN_AUDIT_CHAINS = int(os.environ["DALUN_BENCH_AUDIT_CHAINS"])
