"""The study: a plan of ladders (batch sizes, megapixels, precisions), run resumably, with fits and figures.

Domain layer (study).
"""

from infercost.study.plan import PROFILES, Ladder, Plan, build_plan

__all__ = ["PROFILES", "Ladder", "Plan", "build_plan"]
