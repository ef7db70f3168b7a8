"""Negative controls: the model with the mechanism under test removed.

A validation check is only worth something if it can fail.  Each check in the
report is therefore run twice: on the model as configured, and on a *negative
control*, the same runs with the mechanism the check is about switched off by
scenario overrides.  The check must FAIL on its control; a check whose
control passes cannot tell a working mechanism from a missing one and is
reported as "cannot discriminate" whatever the model gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Control:
    """A negative control: what is removed, and the scenario overrides that remove it.

    Attributes
    ----------
    key : str
        Short name, used for the folder of the control's runs.
    removes : str
        What the control removes, in words for the report.
    overrides : dict
        ``"section.key" -> value`` applied to every run of the control.
    """

    key: str
    removes: str
    overrides: dict = field(default_factory=dict)


NO_DETERRENCE = Control(
    "no_deterrence", "no deterrence at all (presence, residual and carry-over set to 0)",
    {"deterrence.presence_effect": 0.0, "deterrence.residual_peak": 0.0,
     "deterrence.long_effect": 0.0})

NO_RESIDUAL = Control(
    "no_residual", "no residual deterrence after the officer leaves (residual_peak 0)",
    {"deterrence.residual_peak": 0.0})

NO_CARRY_OVER = Control(
    "no_carry_over", "no carry-over between patrol days (long_effect 0)",
    {"deterrence.long_effect": 0.0})

DISPLACEMENT = Control(
    "displacement", "no diffusion of benefits: every deterred attempt is displaced within 200 m",
    {"deterrence.diffusion_radius_m": 0.0, "deterrence.displacement_probability": 1.0})

# Every node an attractor and a possible home, chosen with equal weight, and base
# risk spread evenly: nothing about where crime was recorded reaches the offenders.
UNIFORM_OFFENDERS = Control(
    "uniform_offenders", "offenders and risk placed uniformly instead of by recorded activity",
    {"risk.background_share": 1.0, "offenders.attractor_exponent": 0.0,
     "offenders.attractors": 100_000, "offenders.home_places": 100_000})

# Koper (1995): a drive-by deters far less than a 10-16 minute stop.  Without the
# onset, any pass by a patrol leaves full residual deterrence behind it and its
# minutes count toward a patrol day's carry-over.
DRIVE_BY_DETERS = Control(
    "drive_by_deters", "passing patrol deters after it has gone: no Koper onset for residual "
    "deterrence or for patrol days",
    {"deterrence.onset_minutes": 0.0, "deterrence.onset_width_minutes": 0.1,
     "deterrence.patrol_day_min_stay_minutes": 0.0})

# The mechanism behind emergency response: response cars, a car kept free for grade 1,
# and grade 1 taking officers off patrol and grade 3 calls.  Without it, calls are
# answered by whoever is on foot patrol nearest, in grade order.
NO_EMERGENCY_RESPONSE = Control(
    "no_emergency_response", "no response cars, no car held for grade 1, no pre-emption: "
    "foot patrol officers answer calls in grade order",
    {"officers.response_units": 0, "calls.cars_held_for_grade1": 0,
     "calls.grade1_preempts": False})

CONTROLS = {c.key: c for c in (NO_DETERRENCE, NO_RESIDUAL, NO_CARRY_OVER, DISPLACEMENT,
                               UNIFORM_OFFENDERS, DRIVE_BY_DETERS,
                               NO_EMERGENCY_RESPONSE)}
