"""Exponential backoff with jitter, for every retry in the job layer.

Jitter keeps many failed items (a receiver that was down for a minute) from coming back at
the same instant and knocking it over again. "Equal jitter": half of the exponential delay is
fixed, so the spacing never collapses to zero, and the other half is random.
"""

from __future__ import annotations

import random

_RNG = random.SystemRandom()


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first failure)."""
    exponential = min(cap, base * (2 ** max(0, attempt - 1)))
    return exponential / 2 + (rng or _RNG).uniform(0, exponential / 2)
