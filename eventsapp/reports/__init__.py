"""Attendance figures: the reports' SQL (``queries``) and sums (``report``),
the dashboards and their exports (``views``, ``tables``, ``charts``,
``exports``), and the public figures (``public``, ``public_views``).
Definitions: README, "Figures"."""
