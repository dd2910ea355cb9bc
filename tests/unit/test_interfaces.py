"""The collective-traffic interface: the one ``resourceconfig.json`` names, else the one that
reaches the master (SDK v3's local mode names ``ethwe``, which Docker Compose never creates)."""

from __future__ import annotations

import logging

import pytest

from container.errors import TrainingError
from container.interfaces import collective_interface, interface_address, interface_names

MISSING = "ethwe"


def test_the_named_interface_is_kept_when_the_host_has_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert collective_interface("lo", "127.0.0.1") == "lo"
    assert caplog.records == []


def test_a_missing_interface_falls_back_to_the_one_that_routes_to_the_master(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert MISSING not in interface_names()
    with caplog.at_level(logging.WARNING):
        assert collective_interface(MISSING, "127.0.0.1") == "lo"
    message = caplog.records[-1].getMessage()
    assert f"network interface {MISSING} (resourceconfig.json network_interface_name)" in message
    assert "using lo instead: its address 127.0.0.1 is the one that routes to the master" in message


def test_the_fallback_picks_the_interface_holding_the_route_not_loopback() -> None:
    others = [
        (name, address)
        for name in interface_names()
        if name != "lo" and (address := interface_address(name)) is not None
    ]
    if not others:
        pytest.skip("this host has no IPv4 interface besides lo")
    for name, address in others:
        assert collective_interface(MISSING, address) == name


def test_no_route_to_the_master_is_a_clear_training_error() -> None:
    with pytest.raises(TrainingError) as raised:
        collective_interface(MISSING, "255.255.255.255")  # broadcast: connect() is refused
    message = str(raised.value)
    assert f"network interface {MISSING!r}" in message and "does not exist on this host" in message
    assert "reaches the master at 255.255.255.255" in message


def test_an_unknown_interface_has_no_address() -> None:
    assert interface_address(MISSING) is None
    assert interface_address("lo") == "127.0.0.1"
