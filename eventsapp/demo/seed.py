"""Placeholder replaced by the real demo data below."""


def seed_demo() -> bool:
    return False
