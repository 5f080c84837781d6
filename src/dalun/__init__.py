"""Dalun: the platform on which a province runs a big-discussion reform campaign."""
