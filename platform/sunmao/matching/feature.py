"""The matching feature: ``match`` documents, the ``matching.run`` job and its subscriber."""

from __future__ import annotations

from sunmao.feature import Feature
from sunmao.matching import jobs
from sunmao.matching.model import compile_matches

FEATURE = Feature(
    name="matching",
    kinds=("match",),
    compilers=(compile_matches,),
    jobs=(jobs.run, jobs.on_created),
)
