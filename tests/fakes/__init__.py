"""Test doubles that speak the real wire protocols of the services Candor talks to."""

from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI, SpecValidator, load_spec, parse_html

__all__ = ["ApiCall", "FakeTelegramAPI", "SpecValidator", "load_spec", "parse_html"]
