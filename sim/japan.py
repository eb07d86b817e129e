"""Japan's side of the model, written once for both drivers: its budget, the reach of its
instruments, what a week's spending buys, and the domestic pressure it feels.

Arguments follow :mod:`sim.rules`: ``p`` the model parameters, ``lad`` the ladder;
spending and leverage are ``(K, N)`` arrays over instruments and countries.
"""

from __future__ import annotations

from sim.numerics import row_sum, rule


@rule
def budget_available(p, budget, pressure, responsive):  # noqa: ANN001, ANN201
    """Japan's budget this week: the base budget, raised by domestic pressure when its
    effort is ``responsive`` (:data:`sim.config.EFFORT`), else held at the base budget."""
    gain = p.japan_budget_gain if responsive else 0.0
    return budget * (1.0 + gain * pressure)


@rule
def visibility_multiplier(p, pressure):  # noqa: ANN001, ANN201
    """How much more visible outreach is under domestic pressure."""
    return 1.0 + p.japan_visibility_gain * pressure


@rule
def credibility(p, g7_stock, institution):  # noqa: ANN001, ANN201
    """Credibility multiplier of Japan's outreach (Martin 1993)."""
    return (
        1.0
        + p.credibility_g7 * g7_stock / (1.0 + g7_stock)
        + p.credibility_institution * institution
    )


@rule
def decay_rate(p, institution):  # noqa: ANN001, ANN201
    """Weekly decay of relationship stocks, damped by institutional backing (Drezner 2000)."""
    return p.relationship_decay * (1.0 - p.institution_damping * institution)


@rule
def grown_stock(stock, decay, credibility, effect):  # noqa: ANN001, ANN201
    """An outreach stock after a week: decayed, plus the effect bought times credibility."""
    return stock * (1.0 - decay) + credibility * effect


@rule
def felt_pressure(multiplier, seen, level, lad):  # noqa: ANN001, ANN201
    """Visible pressure a state feels this week; none once it does what Japan asks."""
    return multiplier * seen * (1.0 if level < lad.sanction_level else 0.0)


@rule
def japan_pressure(p, pressure, record, adopters):  # noqa: ANN001, ANN201
    """Ruling-party pressure and the record number of members at 'sanction': pressure rises
    every week without a new record and eases per member beyond the previous record (a
    re-crossing of a member that had already joined is not progress)."""
    gained = max(adopters - record, 0.0)
    stalled = 1.0 if gained == 0.0 else 0.0
    new = pressure + p.japan_pressure_gain * stalled - p.japan_pressure_relief * gained
    return min(max(new, 0.0), 1.0), max(record, adopters)


@rule
def enforce_budget(wanted, usable, available, spend, totals):  # noqa: ANN001, ANN201
    """Japan's spending ``(K, N)`` in ``spend``: requests >= 0 on usable instruments, scaled
    down to the available budget; ``totals[k]`` is what instrument ``k`` spends in all.
    Returns the total before scaling."""
    total = 0.0
    for k in range(wanted.shape[0]):
        largest = 0.0
        for i in range(wanted.shape[1]):
            v = wanted[k, i]
            v = (v if v >= 0.0 else 0.0) * usable[k, i]
            spend[k, i] = v
            largest = max(largest, v)
        totals[k] = row_sum(spend, k, 0, spend.shape[1]) if largest > 0.0 else 0.0
        total += totals[k]
    if total > available:
        scale = available / total
        for k in range(spend.shape[0]):
            if totals[k] != 0.0:
                for i in range(spend.shape[1]):
                    spend[k, i] *= scale
                totals[k] = row_sum(spend, k, 0, spend.shape[1])
    return total


@rule
def outreach_flows(spend, totals, inst, leverage, member_share, flows):  # noqa: ANN001, ANN201
    """What the week's spending buys, before credibility and visibility multipliers.

    Fills ``flows`` rows 0-3 with each country's direct effect on its stance, seen
    pressure, budget received and effect on its material track (an instrument's share
    ``inst.material`` of its effect; country instruments by target and leverage; the ASEAN
    channel shared by members); returns the G7 coordination effect and the total spent.
    ``totals`` are the instruments' spending (:func:`enforce_budget`).
    """
    n = spend.shape[1]
    for i in range(n):
        flows[0, i] = 0.0
        flows[1, i] = 0.0
        flows[2, i] = 0.0
        flows[3, i] = 0.0
    asean_effect = 0.0
    asean_material = 0.0
    asean_seen = 0.0
    g7 = 0.0
    spent = 0.0
    for k in range(spend.shape[0]):
        total_k = totals[k]
        if total_k == 0.0:  # nothing spent on it: its terms would all be zeros
            continue
        spent += total_k
        if inst.kind[k] == 0:
            for i in range(n):
                effect = spend[k, i] * inst.efficiency[k] * leverage[k, i]
                flows[0, i] += effect * (1.0 - inst.material[k])
                flows[3, i] += effect * inst.material[k]
                flows[1, i] += spend[k, i] * inst.visibility[k]
                flows[2, i] += spend[k, i]
        elif inst.kind[k] == 1:
            asean_effect += total_k * inst.efficiency[k] * (1.0 - inst.material[k])
            asean_material += total_k * inst.efficiency[k] * inst.material[k]
            asean_seen += total_k * inst.visibility[k]
        else:
            g7 += total_k * inst.efficiency[k]
    if asean_effect != 0.0 or asean_seen != 0.0:
        for i in range(n):
            flows[0, i] += asean_effect * member_share[i]
            flows[1, i] += asean_seen * member_share[i]
            flows[3, i] += asean_material * member_share[i]
    return g7, spent


@rule
def instrument_reach(attrs, lev_row, req_row, kind, allowed, leverage, usable):  # noqa: ANN001, ANN201
    """Fill ``leverage`` ``(K, N)``, each instrument's effect multiplier on each country
    (issue linkage): the attribute in row ``lev_row[k]`` of ``attrs`` (1 if none), times 0
    where the attribute in row ``req_row[k]`` is below 0.5 or ``allowed[k, i]`` is 0 (a
    feasibility restriction); and ``usable``: where spending is possible (country
    instruments need a non-zero multiplier)."""
    for k in range(leverage.shape[0]):
        for i in range(leverage.shape[1]):
            value = attrs[lev_row[k], i] if lev_row[k] >= 0 else 1.0
            value = value * allowed[k, i]
            if req_row[k] >= 0:
                value = value * (1.0 if attrs[req_row[k], i] >= 0.5 else 0.0)
            leverage[k, i] = value
            usable[k, i] = value > 0 if kind[k] == 0 else True
