"""Registrar bindings and expiry (fake time)."""

from __future__ import annotations

import pytest

from careline.telephony.registrar import IntervalTooBrief, Registrar

SOURCE = ("127.0.0.1", 5080)


def test_binding_is_found_until_it_expires() -> None:
    registrar = Registrar()
    registrar.register("2001", "sip:2001@127.0.0.1:5080", SOURCE, 60, now=0.0)
    assert registrar.lookup("2001", 59.0) is not None
    assert registrar.lookup("2001", 60.0) is None


def test_refresh_extends_the_binding() -> None:
    registrar = Registrar()
    registrar.register("2001", "sip:2001@h", SOURCE, 60, now=0.0)
    registrar.register("2001", "sip:2001@h", SOURCE, 60, now=50.0)
    binding = registrar.lookup("2001", 100.0)
    assert binding is not None
    assert binding.remaining(100.0) == 10


def test_expires_zero_removes_the_binding() -> None:
    registrar = Registrar()
    registrar.register("2001", "sip:2001@h", SOURCE, 60, now=0.0)
    registrar.register("2001", "sip:2001@h", SOURCE, 0, now=1.0)
    assert registrar.lookup("2001", 2.0) is None


def test_too_short_interval_is_refused_and_long_is_capped() -> None:
    registrar = Registrar(min_expires=30, max_expires=600)
    with pytest.raises(IntervalTooBrief):
        registrar.register("2001", "sip:2001@h", SOURCE, 10, now=0.0)
    binding = registrar.register("2001", "sip:2001@h", SOURCE, 99999, now=0.0)
    assert binding is not None
    assert binding.expires_at == 600.0


def test_expire_forgets_lapsed_bindings_only() -> None:
    registrar = Registrar()
    registrar.register("2001", "sip:a@h", SOURCE, 60, now=0.0)
    registrar.register("2002", "sip:b@h", SOURCE, 120, now=0.0)
    assert registrar.expire(90.0) == 1
    assert registrar.lookup("2002", 90.0) is not None
