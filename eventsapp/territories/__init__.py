"""Territories: French départements, the unit of every agenda filter and report."""
