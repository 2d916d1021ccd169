"""The printing feature: print layouts of records (PDF) and shipping labels."""

from __future__ import annotations

from sunmao.feature import Feature
from sunmao.printing.layout import compile_prints

FEATURE = Feature(name="printing", kinds=("print",), compilers=(compile_prints,))
