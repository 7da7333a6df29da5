"""Demo data: a believable Mois de l'ESS 2026 for ``make run``."""
