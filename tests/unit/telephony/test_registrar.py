"""Registrar bindings and expiry (fake time)."""

from __future__ import annotations

import pytest

from careline.telephony.registrar import (
    BindingChange,
    IntervalTooBrief,
    Registrar,
)

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


def test_changes_made_here_are_reported_and_applied_elsewhere() -> None:
    here, there = Registrar(), Registrar()
    changes: list[BindingChange] = []
    here.on_change = changes.append
    there.on_change = changes.append  # must stay silent: it only applies
    here.register("2001", "sip:2001@h", SOURCE, 600, now=0.0)
    here.register("2001", "sip:2001@h", SOURCE, 9000, now=0.0)  # capped at max_expires
    for change in list(changes):
        there.apply(BindingChange.decode(change.encode()) or change, now=100.0)
    binding = there.lookup("2001", 100.0)
    assert binding is not None
    assert (binding.contact, binding.source, binding.remaining(100.0)) == (
        "sip:2001@h",
        SOURCE,
        3600,
    )
    here.register("2001", "sip:2001@h", SOURCE, 0, now=5.0)
    there.apply(changes[-1], now=101.0)
    assert there.lookup("2001", 101.0) is None
    here.register("2002", "sip:a@h", SOURCE, 60, now=0.0)
    here.remove_all("2002")
    assert changes[-1] == BindingChange("2002", None)
    assert len(changes) == 5  # nothing from ``there``


def test_a_change_survives_its_wire_form_and_garbage_is_refused() -> None:
    change = BindingChange("2001", "sip:2001@h:5080", ("::1", 5080), 42.5)
    assert BindingChange.decode(change.encode()) == change
    on_tcp = BindingChange("2001", "sip:2001@h:5080", ("127.0.0.1", 40122), 60, stream=True)
    assert BindingChange.decode(on_tcp.encode()) == on_tcp
    assert BindingChange.decode(BindingChange("2001", None).encode()) == BindingChange("2001", None)
    for junk in (
        b"",
        b"{",
        b"[1,2,3,4]",
        b'["2001","sip:x",null,60]',  # a live binding needs an address
        b'["2001","sip:x",["h"],60]',
        b'["2001","sip:x",["h","5060"],60]',
        b'["2001",7,["h",5060],60]',
        b'["2001","sip:x",["h",5060],"60"]',
        b'["2001","sip:x",["h",5060]]',
        b'["2001","sip:x",["h",5060],60,"tcp"]',
    ):
        assert BindingChange.decode(junk) is None, junk


def test_a_binding_remembers_it_came_over_tcp() -> None:
    here, there = Registrar(), Registrar()
    changes: list[BindingChange] = []
    here.on_change = changes.append
    here.register("2001", "sip:2001@h", SOURCE, 60, now=0.0, stream=True)
    there.apply(changes[-1], now=0.0)
    for registrar in (here, there):
        binding = registrar.lookup("2001", 1.0)
        assert binding is not None
        assert binding.stream


def test_the_fronts_registrar_keeps_what_is_live_with_its_time_left() -> None:
    shared = Registrar()
    shared.apply(BindingChange("2001", "sip:a@h", SOURCE, 60), now=0.0)
    shared.apply(BindingChange("2001", "sip:b@h", SOURCE, 10), now=0.0)
    shared.apply(BindingChange("2002", "sip:c@h", SOURCE, 60), now=0.0)
    shared.apply(BindingChange("2002", None), now=1.0)  # Contact: *
    current = shared.current(now=20.0)
    assert current == [BindingChange("2001", "sip:a@h", SOURCE, 40.0)]
    # the lapsed binding is gone, not only hidden
    assert [b.contact for b in shared.bindings("2001", 0.0)] == ["sip:a@h"]
    shared.apply(BindingChange("2001", "sip:a@h"), now=21.0)
    assert shared.current(now=21.0) == []
