"""Parameters of the mechanisms: meaning, range, source and the mechanism each belongs to.

Every field carries metadata (meaning, unit or range, source, mechanism) from which
``docs/ODD.md`` is generated, so the documentation cannot drift from the code. Weights
are relative: a country's target stance is the weight-averaged anchor of every force on
it (``sim.rules``), so a weight matters against the sum of the others.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field, fields
from typing import Any


def param(default: float, lo: float, hi: float, doc: str, source: str, mechanism: str) -> Any:
    """A documented model parameter with its plausible range."""
    return field(
        default=default,
        metadata={"doc": doc, "range": (lo, hi), "source": source, "mechanism": mechanism},
    )


DYN, EXP, COAL, THR, PEER, LINK = (
    "stance dynamics",
    "1 exposure costs",
    "2 coalition returns",
    "3 thresholds",
    "4 peer influence",
    "5 issue linkage",
)
CRED, INST, BACK, BUST, HEDGE = (
    "6 credibility",
    "6 institutions",
    "7 backsliding",
    "8 busting and leakage",
    "9 hedging",
)
ASEAN, REACT, COUNTER, LEGIT, JAPAN = (
    "10 ASEAN consensus",
    "10 reactance",
    "11 counter-forces",
    "12 legitimacy and norms",
    "Japan domestic pressure",
)
OBS, MAT = ("measurement (observables)", "13 material track")


@dataclass(frozen=True)
class ModelParams:
    """Weights and switches of every mechanism. Setting a weight to 0 switches it off.

    The defaults are neutral: every mechanism off, the rest at a reference value, so that
    ``ModelParams()`` is a model where states keep their declared stance. The calibrated
    values are data (``conf/model/default.yaml``), read at the edge by ``experiments``.
    """

    # --- stance dynamics ------------------------------------------------------------------
    adjustment_speed: float = param(
        0.3, 0.05, 0.6,
        "share of the gap to the target stance closed each week (0.3: half in about 2 weeks;"
        " 0.1: about 7 weeks)",
        "calibrated: Singapore sanctioned within days, other statements held through mid-2022",
        DYN,
    )  # fmt: skip
    shock_sd: float = param(
        0.0, 0.0, 0.3, "s.d. of the weekly stance shock (rungs)", "calibrated", DYN
    )
    initial_spread: float = param(
        0.0, 0.0, 0.3,
        "half-width of the uniform run-to-run spread around the declared stance (rungs)",
        "assumption: reading a statement onto the ladder is approximate", DYN,
    )  # fmt: skip
    status_quo_weight: float = param(
        1.0, 0.5, 10.0,
        "pull back to the declared position of February 2022 (the country's initial_stance)",
        "inertia of declared positions (Kuik 2016: hedgers keep fallback positions)", DYN,
    )  # fmt: skip
    hysteresis: float = param(
        0.0, 0.0, 0.5,
        "stance margin past a rung edge before the level changes (rungs)",
        "assumption: statements are sticky; at most half a rung, since beyond it a state"
        " would keep a rung while its stance sat past the middle of the next one (its words"
        " would read one rung off its position); was capped at 0.3 without a reason", DYN,
    )  # fmt: skip
    # --- 1 exposure costs -------------------------------------------------------------------
    exposure_trade: float = param(
        0.0, 0.0, 3.0, "pull to 'oppose' per percentage point of trade with Russia",
        "Early 2015; data: trade_2021", EXP,
    )  # fmt: skip
    exposure_arms: float = param(
        0.0, 0.0, 10.0, "pull to 'oppose' per unit share of arms imports from Russia",
        "Early 2009, 2012; SIPRI via data: arms", EXP,
    )  # fmt: skip
    exposure_energy: float = param(
        0.0, 0.0, 6.0, "pull to 'oppose' per unit of energy, fertiliser and nuclear dependence",
        "data: energy_and_other_ties", EXP,
    )  # fmt: skip
    exposure_party: float = param(
        0.0, 0.0, 10.0, "pull to 'oppose' per unit of party or ideological affinity",
        "data: VN, LA socialist ties; MM junta endorsement", EXP,
    )  # fmt: skip
    # --- 2 coalition returns ----------------------------------------------------------------
    coalition_base: float = param(
        0.58, 0.3, 0.8, "share of a global coalition already sanctioning (G7/EU and partners)",
        "Chowdhry et al. (Economic Policy): the real coalition is ~58% of a global one", COAL,
    )  # fmt: skip
    coalition_regional_weight: float = param(
        0.0, 0.0, 1.0, "how much regional adopters add to the coalition share",
        "assumption", COAL,
    )  # fmt: skip
    coalition_return: float = param(
        0.0, 0.0, 1.0, "fall of the sanction threshold per unit of coalition share",
        "Chowdhry et al.: a coalition cuts its members' welfare loss (9.6% vs unilateral)", COAL,
    )  # fmt: skip
    bandwagon_weight: float = param(
        0.0, 0.0, 10.0,
        "pull toward 'sanction' per unit share of ASEAN members already at 'sanction'",
        "Chowdhry et al. (returns to coalition size); Granovetter 1978 (bandwagons)", COAL,
    )  # fmt: skip
    # --- 3 thresholds -----------------------------------------------------------------------
    threshold_mean: float = param(
        0.0, 0.0, 1.0, "mean extra stance needed past the sanction rung's edge (rungs)",
        "Granovetter 1978; calibrated", THR,
    )  # fmt: skip
    threshold_spread: float = param(
        0.0, 0.0, 1.0, "half-width of the uniform spread of sanction thresholds (rungs)",
        "Granovetter 1978: outcomes are knife-edge sensitive to the spread", THR,
    )  # fmt: skip
    # --- 4 peer influence -------------------------------------------------------------------
    peer_weight: float = param(
        0.0, 0.0, 8.0, "pull toward the tie-weighted mean level of ASEAN neighbours",
        "Centola & Macy 2007", PEER,
    )  # fmt: skip
    peer_reinforcement: float = param(
        1.0, 0.5, 3.0,
        "tie weight of neighbours on one side needed for their full pull (complex contagion)",
        "Centola 2010: costly acts need reinforcement from several ties", PEER,
    )  # fmt: skip
    # --- 5 issue linkage --------------------------------------------------------------------
    outreach_weight: float = param(
        0.0, 0.0, 20.0,
        "pull toward 'sanction' of a saturated relationship with Japan (weight, vs the"
        " country's other weights)",
        "Martin 1992 (issue linkage, side payments); Early (aid-based inducements)", LINK,
    )  # fmt: skip
    outreach_saturation: float = param(
        5.0, 1.0, 60.0,
        "relationship stock (budget units of effective outreach) at half the full pull",
        "assumption: diminishing returns to engagement", LINK,
    )  # fmt: skip
    relationship_decay: float = param(
        0.0, 0.0, 0.25,
        "weekly decay of the relationship stock without institutions (0.05: half-life 13.5"
        " weeks; 0.15: 4.3 weeks)",
        "Drezner 2000 (cooperation decays without institutions)", LINK,
    )  # fmt: skip
    # --- 6 credibility and institutions ---------------------------------------------------
    credibility_g7: float = param(
        0.0, 0.0, 2.0, "credibility gain per unit of G7 coordination stock (saturating)",
        "Martin 1993", CRED,
    )  # fmt: skip
    credibility_institution: float = param(
        0.0, 0.0, 3.0, "credibility gain from full institutional backing (a UNSC mandate)",
        "Martin 1993; Bapat & Morgan 2009", CRED,
    )  # fmt: skip
    mandate_relief: float = param(
        0.0, 0.0, 1.0, "share of the UN-legalism barrier removed by full backing",
        "article: 'no UN Security Council resolution'; positions MY, ID", INST,
    )  # fmt: skip
    legalism_barrier: float = param(
        0.0, 0.0, 3.0, "extra sanction threshold for a fully UN-legalist state (rungs)",
        "data: positions MY, ID ('UN-only'), SG ('normally acts only on UNSC authority')", INST,
    )  # fmt: skip
    mandate_compliance: float = param(
        0.5, 0.5, 0.95,
        "share of a fully compliant state's decision (unsc_compliance 1) that a binding UNSC"
        " mandate settles; not identified by 2022 data (no mandate existed)",
        "UN Charter arts. 25, 41 (binding on members); positions MY, ID ('UN-only');"
        " members implement UNSC sanctions on the DPRK",
        INST,
    )  # fmt: skip
    # --- 7 backsliding ----------------------------------------------------------------------
    backslide_hazard: float = param(
        0.0, 0.0, 0.1, "weekly probability that a state at 'principle' or above slips",
        "Drezner 2000", BACK,
    )  # fmt: skip
    backslide_drop: float = param(
        0.0, 0.0, 1.0, "stance lost when a state slips (rungs)", "assumption", BACK
    )
    institution_damping: float = param(
        0.0, 0.0, 1.0, "share of decay and backsliding removed by full institutional backing",
        "Drezner 2000", BACK,
    )  # fmt: skip
    # --- 8 busting and leakage --------------------------------------------------------------
    busting_rent: float = param(
        0.0, 0.0, 5.0, "pull to 'oppose' per unit of hub role times coalition share",
        "Early 2015 (rents of sanctions busting)", BUST,
    )  # fmt: skip
    diversion: float = param(
        0.0, 0.0, 5.0, "extra trade rerouted through a non-adopting hub per unit coalition",
        "Early & Spice 2015; 2022 'Eurasian carousel'", BUST,
    )  # fmt: skip
    secondary_risk: float = param(
        0.0, 0.0, 1.0, "credibility of US secondary sanctions (probability-like)",
        "data: PH Mi-17 cancellation", BUST,
    )  # fmt: skip
    secondary_weight: float = param(
        0.0, 0.0, 6.0, "pull to 'sanction' per unit of exposure to secondary sanctions",
        "data: PH Mi-17 cancellation", BUST,
    )  # fmt: skip
    # --- 9 hedging --------------------------------------------------------------------------
    hedge_weight: float = param(
        0.0, 0.0, 4.0, "pull toward the hedging point for a state with no security partner",
        "Kuik 2008, 2016", HEDGE,
    )  # fmt: skip
    hedge_point: float = param(
        2.0, 1.0, 3.0, "stance that hedging pulls toward (rungs)", "Kuik 2016", HEDGE
    )
    # --- 10 ASEAN consensus and reactance ---------------------------------------------------
    asean_weight: float = param(
        0.0, 0.0, 3.0, "pull of members toward the ASEAN collective (lowest common) level",
        "ASEAN Charter practice", ASEAN,
    )  # fmt: skip
    reactance_weight: float = param(
        0.0, 0.0, 5.0,
        "pull away from the ask per unit of visible pressure above tolerance, times the gap"
        " to the ask, on states not moving toward it",
        "Brehm (reactance); article: 'we can't force them'", REACT,
    )  # fmt: skip
    reactance_tolerance: float = param(
        0.0, 0.0, 8.0, "visible outreach per week a state at democracy 0.5 tolerates",
        "assumption", REACT,
    )  # fmt: skip
    reactance_anchor: float = param(
        1.5, 0.5, 2.5, "stance a provoked state retreats to, if below its own (rungs)",
        "non-alignment as the default answer", REACT,
    )  # fmt: skip
    # --- 11 counter-pressure ----------------------------------------------------------------
    russia_counter: float = param(
        0.0, 0.0, 6.0, "Russia's pull to 'oppose' per unit of mean arms, energy and party ties",
        "Early (black knights)", COUNTER,
    )  # fmt: skip
    russia_response: float = param(
        0.0, 0.0, 2.0, "rise of Russian counter-pressure per rung above neutral",
        "Drezner (conflict expectations)", COUNTER,
    )  # fmt: skip
    china_pull: float = param(
        0.0, 0.0, 10.0, "pull toward neutrality per unit share of trade with China",
        "data: China is the first or second partner of every member", COUNTER,
    )  # fmt: skip
    west_weight: float = param(
        0.0, 0.0, 12.0, "US/EU pull toward 'sanction' per unit share of trade with the West",
        "data: trade_2021_approx", COUNTER,
    )  # fmt: skip
    # --- 12 legitimacy and norms ------------------------------------------------------------
    public_weight: float = param(
        0.0, 0.0, 6.0, "pull toward the public's preferred rung (x salience x democracy)",
        "Schneider, Finke & Bailer 2010; Ipsos 2023", LEGIT,
    )  # fmt: skip
    norm_strength: float = param(
        0.0, 0.0, 60.0, "pull toward 'sanction' per unit of small-state norm weight",
        "data: SG rationale ('might is right' an existential threat); it acts only where"
        " statements cite the norm (Singapore), whose sanctions within days are a datum: the"
        " upper bound only says how far the norm may outweigh the other forces on it (up to"
        " about 60, six times the largest other weight); was 30, where the fit piled up", LEGIT,
    )  # fmt: skip
    # --- measurement: what the stance is observed as (sim.observe) -------------------------
    joint_drafting: float = param(
        0.0, 0.0, 0.5,
        "stance margin below 'condemn' within which a joint statement with Japan still names"
        " Russia (Japan drafts, the partner consents; own words name Russia only at 'condemn')",
        "data: observables_2022_2023 (PH named Russia only in the 2023-02-09 joint statement"
        " with Japan, never in its own statements); at most 0.5 so that a joint text naming"
        " Russia implies a yes vote on a resolution of principle (sim.observe)", OBS,
    )  # fmt: skip
    # --- 13 material track (sim.material) ----------------------------------------------------
    material_inertia: float = param(
        1.0, 0.5, 10.0,
        "pull of the material position back to the status quo (ties kept as they were)",
        "data: observables_2022_2023.material_measures (most members kept their ties)", MAT,
    )  # fmt: skip
    material_ties: float = param(
        0.0, 0.0, 10.0,
        "pull toward deepening ties per unit of mean arms, energy and party ties to Russia"
        " (Russia's offers of cheap fuel, arms, nuclear deals: its counter-pressure on deeds)",
        "data: material_measures MM fuel and Rosatom deals, LA oil directive and Laros-2022;"
        " Early (black knights)", MAT,
    )  # fmt: skip
    material_risk: float = param(
        0.0, 0.0, 30.0,
        "pull toward distancing per unit of Western trade share x (0.5 + 0.5 security"
        " partnership): secondary-sanction risk to banks, shippers and arms buyers, and"
        " security ties",
        "data: PH Mi-17 cancelled for fear of US sanctions (2022-06), VN BIDV dropped Mir after"
        " the US Treasury warning (2022-09), ID Su-35 (2021-12, context)", MAT,
    )  # fmt: skip
    material_outreach: float = param(
        0.0, 0.0, 10.0,
        "pull toward anti-circumvention from Japan's material stock (security cooperation and"
        " aid act mostly here; leaders' visits mostly on the stance), saturating like outreach",
        "assumption: substitutes for Russian arms and fuel (2+2 defence transfers, ODA) change"
        " what a state buys, words change what it says; conf/instruments material shares", MAT,
    )  # fmt: skip
    leak_distancing: float = param(
        0.0, 0.0, 1.0,
        "share of a state's Russian trade flow closed once it distances (banks, shippers and"
        " arms deals drop Russian business)",
        "assumption (the record has no flow figures for these steps)", MAT,
    )  # fmt: skip
    leak_anti_circumvention: float = param(
        0.0, 0.0, 1.0,
        "share of a state's Russian trade flow closed under anti-circumvention controls"
        " (never below the distancing share)",
        "assumption: re-export and transit controls close the hub route (SG 2022-03-16)", MAT,
    )  # fmt: skip
    # --- Japan ------------------------------------------------------------------------------
    japan_pressure_initial: float = param(
        0.0, 0.0, 1.0, "ruling-party pressure on the government at the start (0-1)",
        "article: LDP urging; data: japan_domestic", JAPAN,
    )  # fmt: skip
    japan_pressure_gain: float = param(
        0.0, 0.0, 0.3, "weekly rise in pressure while no new member joins sanctions",
        "article: 'no major moves' and strong pressure", JAPAN,
    )  # fmt: skip
    japan_pressure_relief: float = param(
        0.0, 0.0, 1.0,
        "fall in pressure per member newly at 'sanction' (a new high, not a re-crossing)",
        "assumption", JAPAN,
    )  # fmt: skip
    japan_budget_gain: float = param(
        0.0, 0.0, 2.0, "extra budget share at full domestic pressure ('how much')",
        "article", JAPAN,
    )  # fmt: skip
    japan_visibility_gain: float = param(
        0.0, 0.0, 3.0, "extra visibility of outreach at full domestic pressure ('how visibly')",
        "article", JAPAN,
    )  # fmt: skip

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise ValueError(f"model.{f.name}: must be a number in [{lo}, {hi}], got {v!r}")
            object.__setattr__(self, f.name, float(v))

    def values(self) -> tuple:
        """The parameters as a plain named tuple (what the compiled kernel takes)."""
        return ModelParamsValues(*(float(getattr(self, name)) for name in _NAMES))


_NAMES = tuple(f.name for f in fields(ModelParams))
ModelParamsValues = namedtuple("ModelParamsValues", _NAMES)
"""Plain tuple of :class:`ModelParams` (same field names), for the compiled kernel."""
