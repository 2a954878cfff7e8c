"""The measurements: the four baselines and the product's scenarios, one module per
subject. Each function is one run and returns its figures; the scenarios check their
invariants and raise InvariantBroken when one fails."""

from bench.scenarios.availability import (
    availability,
    availability_prepare,
    query_counts,
)
from bench.scenarios.baselines import (
    baseline_minimal,
    baseline_orm_booking,
    baseline_queue,
    baseline_sql_booking,
    wait_queue_empty,
)
from bench.scenarios.cards import sms_volume
from bench.scenarios.common import (
    PROFILED_RUSH_APPLICANTS,
    RUSH_CAPACITY,
    RUSH_SLOTS,
    InvariantBroken,
)
from bench.scenarios.delivery import delivery
from bench.scenarios.flow import (
    LATE_APPLICANTS,
    PROBE_RATE,
    PROBE_STEP,
    STEPS,
    rush,
    steady,
)
from bench.scenarios.release import (
    RELEASE_CAPACITY,
    RELEASE_PEOPLE,
    RELEASE_SLOTS,
    release,
)

__all__ = [
    "LATE_APPLICANTS",
    "PROBE_RATE",
    "PROBE_STEP",
    "PROFILED_RUSH_APPLICANTS",
    "RELEASE_CAPACITY",
    "RELEASE_PEOPLE",
    "RELEASE_SLOTS",
    "RUSH_CAPACITY",
    "RUSH_SLOTS",
    "STEPS",
    "InvariantBroken",
    "availability",
    "availability_prepare",
    "baseline_minimal",
    "baseline_orm_booking",
    "baseline_queue",
    "baseline_sql_booking",
    "delivery",
    "query_counts",
    "release",
    "rush",
    "sms_volume",
    "steady",
    "wait_queue_empty",
]
