"""Building a GGUF on this computer from a model's original weights (see docs/models.md).

``plan_from_hub(entry, resolver, folder)`` or ``plan_from_folder(weights, folder)``
makes the plan shown before anything starts; ``Builder.start(plan, registry)`` (or
``Builder.resume(state_file, registry)``) and ``run(progress, cancel)`` do the five
stages; ``find_builds(models_dir)`` lists unfinished ones.
"""

from app.models.build.errors import (
    STAGES,
    BuildError,
    BuildPaused,
    NotEnoughSpaceError,
    Stage,
    stage_label,
)
from app.models.build.estimate import BuildEstimate, Rates, estimate_build
from app.models.build.pipeline import Builder, BuildProgress, KeepOriginal
from app.models.build.plan import BuildPlan, plan_from_folder, plan_from_hub
from app.models.build.state import BuildState, find_builds

__all__ = [
    "STAGES",
    "BuildError",
    "BuildEstimate",
    "BuildPaused",
    "BuildPlan",
    "BuildProgress",
    "BuildState",
    "Builder",
    "KeepOriginal",
    "NotEnoughSpaceError",
    "Rates",
    "Stage",
    "estimate_build",
    "find_builds",
    "plan_from_folder",
    "plan_from_hub",
    "stage_label",
]
