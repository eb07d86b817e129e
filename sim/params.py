"""Parameters of the mechanisms: meaning, range, source and the mechanism each belongs to.

Every field carries metadata (meaning, unit or range, source, mechanism) from which
``docs/ODD.md`` is generated, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import astuple, dataclass, field, fields
from typing import Any


def param(default: float, lo: float, hi: float, doc: str, source: str, mechanism: str) -> Any:
    """A documented model parameter with its plausible range."""
    return field(
        default=default,
        metadata={"doc": doc, "range": (lo, hi), "source": source, "mechanism": mechanism},
    )


@dataclass(frozen=True)
class ModelParams:
    """Weights and switches of every mechanism. Setting a weight to 0 switches it off.

    The defaults are neutral: every mechanism off, the rest at a reference value, so that
    ``ModelParams()`` is a model where states keep their initial stance. The calibrated
    values are data (``conf/model/default.yaml``), read at the edge by ``experiments``.
    """

    # --- dynamics -----------------------------------------------------------------------
    adjustment_speed: float = param(
        0.5,
        0.2,
        0.95,
        "share of the gap to the target stance closed each week",
        "calibrated (Singapore sanctioned within 2 weeks)",
        "stance dynamics",
    )
    shock_sd: float = param(
        0.0,
        0.0,
        0.4,
        "s.d. of the weekly stance shock (rungs)",
        "calibrated",
        "stance dynamics",
    )
    initial_stance: float = param(
        1.5,
        1.0,
        2.0,
        "stance of every country on 2022-02-24 (rungs; 1.5 = mid neutral)",
        "all members neutral before the invasion (data file, positions)",
        "initialisation",
    )
    initial_spread: float = param(
        0.0,
        0.0,
        0.5,
        "half-width of the uniform spread of the initial stance (rungs)",
        "assumption",
        "initialisation",
    )
    status_quo_weight: float = param(
        1.0,
        0.1,
        5.0,
        "weight of the pull back to the pre-war neutral position",
        "normalising constant of the attractor",
        "inertia",
    )
    hysteresis: float = param(
        0.0,
        0.0,
        0.5,
        "stance margin beyond a rung boundary before the level changes (rungs)",
        "assumption: statements are sticky",
        "hysteresis",
    )
    # --- 1 exposure costs ---------------------------------------------------------------
    exposure_trade: float = param(
        0.0,
        0.0,
        3.0,
        "pull to 'oppose' per percentage point of trade with Russia",
        "Early 2015; data: trade_2021",
        "1 exposure costs",
    )
    exposure_arms: float = param(
        0.0,
        0.0,
        10.0,
        "pull to 'oppose' per unit share of arms imports from Russia",
        "Early 2009, 2012; SIPRI via data: arms",
        "1 exposure costs",
    )
    exposure_energy: float = param(
        0.0,
        0.0,
        6.0,
        "pull to 'oppose' per unit of energy/fertiliser/nuclear dependence",
        "data: energy_and_other_ties",
        "1 exposure costs",
    )
    exposure_party: float = param(
        0.0,
        0.0,
        10.0,
        "pull to 'oppose' per unit of party/ideological affinity",
        "data: VN, LA socialist ties; MM junta endorsement",
        "1 exposure costs",
    )
    # --- 2 coalition-size returns -------------------------------------------------------
    coalition_base: float = param(
        0.58,
        0.3,
        0.8,
        "share of a global coalition already sanctioning (G7/EU and partners)",
        "Chowdhry et al. (Economic Policy): real coalition ~58% of a global one",
        "2 coalition returns",
    )
    coalition_regional_weight: float = param(
        0.0,
        0.0,
        1.0,
        "how much regional adopters add to the coalition share",
        "assumption",
        "2 coalition returns",
    )
    coalition_return: float = param(
        0.0,
        0.0,
        1.0,
        "fall in the sanction threshold per unit coalition share",
        "Chowdhry et al.: coalition cuts members' welfare loss",
        "2 coalition returns",
    )
    # --- 3 thresholds -------------------------------------------------------------------
    threshold_mean: float = param(
        0.0,
        0.0,
        1.0,
        "mean extra stance needed to cross into 'sanction' (rungs)",
        "Granovetter 1978; calibrated",
        "3 thresholds",
    )
    threshold_spread: float = param(
        0.0,
        0.0,
        0.6,
        "half-width of the uniform spread of sanction thresholds (rungs)",
        "Granovetter 1978: knife-edge sensitivity to spread",
        "3 thresholds",
    )
    # --- 4 peer influence ---------------------------------------------------------------
    peer_weight: float = param(
        0.0,
        0.0,
        4.0,
        "pull toward the tie-weighted mean level of ASEAN neighbours",
        "Centola & Macy 2007",
        "4 peer influence",
    )
    peer_reinforcement: float = param(
        1.0,
        1.0,
        4.0,
        "tie weight of neighbours above own level needed for full peer pull",
        "Centola 2010: costly acts need reinforcement",
        "4 peer influence",
    )
    # --- 5 issue linkage ----------------------------------------------------------------
    outreach_weight: float = param(
        0.0,
        0.0,
        6.0,
        "maximum pull of Japan's outreach toward 'sanction'",
        "Martin 1992",
        "5 issue linkage",
    )
    outreach_saturation: float = param(
        1.0,
        0.1,
        10.0,
        "outreach stock at which half the maximum pull is reached",
        "assumption: diminishing returns",
        "5 issue linkage",
    )
    outreach_decay: float = param(
        0.0,
        0.0,
        0.5,
        "weekly decay of the outreach stock without institutions",
        "Drezner 2000",
        "5 issue linkage / 7 backsliding",
    )
    # --- 6 credibility and institutions -------------------------------------------------
    credibility_g7: float = param(
        0.0,
        0.0,
        2.0,
        "credibility gain per unit of G7 coordination stock",
        "Martin 1993",
        "6 credibility",
    )
    credibility_institution: float = param(
        0.0,
        0.0,
        3.0,
        "credibility gain from full institutional backing (UNSC mandate)",
        "Martin 1993; Bapat & Morgan 2009",
        "6 credibility",
    )
    mandate_relief: float = param(
        0.0,
        0.0,
        1.0,
        "share of the UN-legalism barrier removed by full backing",
        "article: 'no UN Security Council resolution'; MY, ID positions",
        "6 institutions",
    )
    legalism_barrier: float = param(
        0.0,
        0.0,
        3.0,
        "extra sanction threshold for a fully UN-legalist state (rungs)",
        "data: positions MY, ID, SG",
        "6 institutions",
    )
    mandate_compliance: float = param(
        0.0,
        0.0,
        20.0,
        "pull to 'sanction' per unit of UN legalism under a binding UNSC "
        "mandate (institution 'unsc'); not identified by 2022 data (no mandate existed)",
        "UN Charter arts. 25, 41; positions MY, ID; members implement UNSC sanctions on the DPRK",
        "6 institutions",
    )
    # --- 7 backsliding ------------------------------------------------------------------
    backslide_hazard: float = param(
        0.0,
        0.0,
        0.2,
        "weekly probability that a state at 'principle' or above slips",
        "Drezner 2000",
        "7 backsliding",
    )
    backslide_drop: float = param(
        0.0, 0.0, 1.5, "stance lost when a state slips (rungs)", "assumption", "7 backsliding"
    )
    institution_damping: float = param(
        0.0,
        0.0,
        1.0,
        "share of decay and backsliding removed by full institutional backing",
        "Drezner 2000",
        "7 backsliding",
    )
    # --- 8 busting and leakage ----------------------------------------------------------
    busting_rent: float = param(
        0.0,
        0.0,
        5.0,
        "pull to 'oppose' per unit of hub role times coalition share (rent foregone by joining)",
        "Early 2015",
        "8 busting",
    )
    diversion: float = param(
        0.0,
        0.0,
        5.0,
        "extra trade rerouted through a non-adopting hub per unit coalition",
        "Early & Spice 2015; 2022 'Eurasian carousel'",
        "8 leakage",
    )
    secondary_risk: float = param(
        0.0,
        0.0,
        1.0,
        "credibility of US secondary sanctions (probability-like)",
        "data: PH Mi-17 cancellation",
        "8 busting / 11 counter-forces",
    )
    secondary_weight: float = param(
        0.0,
        0.0,
        6.0,
        "pull to 'sanction' per unit of exposure to secondary sanctions",
        "data: PH Mi-17 cancellation",
        "11 counter-forces",
    )
    # --- 9 hedging ----------------------------------------------------------------------
    hedge_weight: float = param(
        0.0,
        0.0,
        4.0,
        "pull toward the hedging point for a state with no security partner",
        "Kuik 2008, 2016",
        "9 hedging",
    )
    hedge_point: float = param(
        2.0, 1.0, 3.0, "stance that hedging pulls toward (rungs)", "Kuik 2016", "9 hedging"
    )
    # --- 10 ASEAN consensus and reactance -----------------------------------------------
    asean_weight: float = param(
        0.0,
        0.0,
        3.0,
        "pull of members toward the ASEAN collective (lowest common) level",
        "ASEAN Charter practice",
        "10 ASEAN consensus",
    )
    reactance_weight: float = param(
        0.0,
        0.0,
        5.0,
        "pull to neutrality per unit of visible pressure above tolerance",
        "article: 'we can't force them'",
        "10 reactance",
    )
    reactance_tolerance: float = param(
        0.0,
        0.0,
        5.0,
        "visible outreach per week a fully democratic state tolerates",
        "assumption",
        "10 reactance",
    )
    reactance_anchor: float = param(
        1.5,
        0.0,
        2.5,
        "stance that reactance pulls toward (rungs; 1.5 = mid neutral)",
        "non-alignment as the default answer",
        "10 reactance",
    )
    # --- 11 counter-pressure ------------------------------------------------------------
    russia_counter: float = param(
        0.0,
        0.0,
        6.0,
        "Russia's pull to 'oppose' per unit of mean arms/energy/party ties",
        "Early (black knights)",
        "11 counter-forces",
    )
    russia_response: float = param(
        0.0,
        0.0,
        2.0,
        "rise of Russian counter-pressure per rung above neutral",
        "Drezner (conflict expectations)",
        "11 counter-forces",
    )
    china_pull: float = param(
        0.0,
        0.0,
        10.0,
        "pull toward neutrality per unit share of trade with China",
        "data: China first or second partner of every member",
        "11 counter-forces",
    )
    west_weight: float = param(
        0.0,
        0.0,
        12.0,
        "US/EU pull toward 'sanction' per unit share of trade with the West",
        "data: trade_2021_approx",
        "11 counter-forces",
    )
    # --- 12 domestic legitimacy ---------------------------------------------------------
    public_weight: float = param(
        0.0,
        0.0,
        6.0,
        "pull toward the public's preferred rung (x salience x democracy)",
        "Schneider, Finke & Bailer 2010; Ipsos 2023",
        "12 legitimacy",
    )
    norm_strength: float = param(
        0.0,
        0.0,
        30.0,
        "pull toward 'sanction' per unit of small-state norm weight",
        "data: SG rationale; range widened from an arbitrary [0, 10] in calibration (Singapore's "
        "early sanctions need the norm to outweigh the other pulls)",
        "12 legitimacy / norms",
    )
    # --- Japan --------------------------------------------------------------------------
    japan_pressure_initial: float = param(
        0.0,
        0.0,
        1.0,
        "ruling-party pressure on the government at the start (0-1)",
        "article: LDP urging; data: japan_domestic",
        "Japan domestic pressure",
    )
    japan_pressure_gain: float = param(
        0.0,
        0.0,
        0.3,
        "weekly rise in pressure while no state moves to 'condemn' or above",
        "article: 'no major moves' and strong pressure",
        "Japan domestic pressure",
    )
    japan_pressure_relief: float = param(
        0.0,
        0.0,
        1.0,
        "fall in pressure per state newly at 'condemn' or above",
        "assumption",
        "Japan domestic pressure",
    )
    japan_budget_gain: float = param(
        0.0,
        0.0,
        2.0,
        "extra budget share at full domestic pressure ('how much')",
        "article",
        "Japan domestic pressure",
    )
    japan_visibility_gain: float = param(
        0.0,
        0.0,
        3.0,
        "extra visibility of outreach at full domestic pressure ('how visibly')",
        "article",
        "Japan domestic pressure",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise ValueError(f"model.{f.name}: must be a number in [{lo}, {hi}], got {v!r}")
            object.__setattr__(self, f.name, float(v))

    def values(self) -> tuple:
        """The parameters as a plain named tuple (what the compiled kernel takes)."""
        return ModelParamsValues(*(float(v) for v in astuple(self)))


ModelParamsValues = namedtuple("ModelParamsValues", [f.name for f in fields(ModelParams)])
"""Plain tuple of :class:`ModelParams` (same field names), for the compiled kernel."""
