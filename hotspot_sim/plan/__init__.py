"""Plan: search patrol plans for the officer hours a force has (``hotspot-sim plan``).

* :mod:`.space` -- the decision variables (:class:`~.space.PlanSpace`, ``--space FILE``)
  and one candidate mapped to scenario overrides and ``planned_patrol`` parameters;
* :mod:`.evaluate` -- candidates run by the experiment runner with common random numbers,
  paired against a baseline of random patrol (:func:`~.evaluate.evaluate_plans`);
* :mod:`.search` -- Optuna's multi-objective search under a budget of officer hours and an
  optional grade 1 floor, resumable from its journal (:func:`~.search.search_plans`);
* :mod:`.report`, :mod:`.dose_response`, :mod:`.honesty`, :mod:`.figures` -- the front, the
  recommended plan and the dose-response curves a lead reads.

Submodules are imported where used: ``hotspot-sim plan --help`` needs neither Optuna nor
pandas.
"""
