"""Calibration and validation against 2022: the facts and patterns, the vote-rule fit, the
search (history matching, then ABC), the install step, the validation report and the
vote predictions."""
