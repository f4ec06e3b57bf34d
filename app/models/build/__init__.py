"""Building a GGUF on this computer from a model's original weights (see docs/models.md).

* :mod:`app.models.build.plan` — ``plan_from_hub(entry, resolver, folder)`` and
  ``plan_from_folder(weights, folder)``: the plan shown before anything starts;
* :mod:`app.models.build.pipeline` — ``Builder.start(plan, registry)`` /
  ``Builder.resume(state_file, registry)`` and ``run(progress, cancel)``: the five stages;
* :mod:`app.models.build.state` — the saved state, ``find_builds(models_dir)``;
* :mod:`app.models.build.estimate` — disk, time and memory before it starts;
* :mod:`app.models.build.errors` — the stages and what a failing one says;
* :mod:`app.models.build.child` — llama.cpp's quantizer and the verifying load, run as
  a process of their own (this package imports nothing at start-up, so that process
  starts light).
"""
