"""Validation: is the model fit for the questions put to it?

Three checks, each one command of ``hotspot-sim``:

- :mod:`~hotspot_sim.validation.calibrate` fits the risk parameters on training months so
  runs without dedicated patrol match the observed police.uk crime, and scores the fit on
  held-out months (``hotspot-sim calibrate``); :mod:`~hotspot_sim.validation.forecast`
  scores the model's simulated crime as a forecast of them, beside the hot-spot methods;
- :mod:`~hotspot_sim.validation.validate` runs the model to compare it with the published
  evidence (``hotspot-sim validate``): :mod:`~hotspot_sim.validation.evidence` holds the
  patterns and how a result is judged, :mod:`~hotspot_sim.validation.controls` the
  negative controls every check must fail, :mod:`~hotspot_sim.validation.trials` the
  published trials simulated with their own designs, and
  :mod:`~hotspot_sim.validation.report` writes the report with inputs and predictions
  apart;
- :mod:`~hotspot_sim.validation.sensitivity` screens the uncertain parameters (Morris)
  for whether "Koper beats random patrol" holds (``hotspot-sim sensitivity``).

The stage reads the data, the model, ``track`` and the trial runner; nothing to its
left imports it.  Note that ``hotspot_sim.validation.calibrate`` names the function;
the module's other names are imported from ``hotspot_sim.validation.calibrate``
directly (``from hotspot_sim.validation.calibrate import CALIBRATE_STEPS``).
"""

from .calibrate import Fit, calibrate, format_fit, write_fit
from .evidence import Check
from .report import write_report
from .sensitivity import RANGES, run_sensitivity
from .validate import run_validation

__all__ = ["Check", "Fit", "RANGES", "calibrate", "format_fit", "run_sensitivity",
           "run_validation", "write_fit", "write_report"]
