"""The network interface that carries a distributed job's collective traffic.

``resourceconfig.json`` names it (``network_interface_name``): SageMaker writes ``eth0`` (its
docs' example says ``eth1``), the SageMaker Python SDK v2's local mode ``eth0``, v3's local mode
``ethwe``, which a Docker Compose network does not create. Gloo and NCCL fail to start on an
interface the host lacks, so when the named one is missing, the interface that holds the
address this host would use to reach the master is taken instead, and the log says so.
"""

from __future__ import annotations

import fcntl
import logging
import socket
import struct

from container.errors import TrainingError

log = logging.getLogger(__name__)

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's (primary) IPv4 address
IFNAMSIZ = 16
PROBE_PORT = 9  # any port: a UDP "connect" sends nothing, it only picks the route


def interface_names() -> list[str]:
    return [name for _, name in socket.if_nameindex()]


def interface_address(name: str) -> str | None:
    """``name``'s IPv4 address, or None when it has none (or does not exist)."""
    request = struct.pack("256s", name.encode()[: IFNAMSIZ - 1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def source_address_towards(address: str) -> str:
    """The local address the kernel's routing table picks for traffic to ``address``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((address, PROBE_PORT))
        source: str = probe.getsockname()[0]
    return source


def interface_towards(address: str) -> tuple[str, str] | None:
    """The interface (and its address) whose address routes to ``address``, if any."""
    source = source_address_towards(address)
    for name in interface_names():
        if interface_address(name) == source:
            return name, source
    return None


def collective_interface(named: str, master_address: str) -> str:
    """``named`` if this host has it, else the interface that reaches the master."""
    present = interface_names()
    if named in present:
        return named
    try:
        found = interface_towards(master_address)
    except OSError as error:
        found, reason = None, str(error)
    else:
        reason = "no interface holds the address that routes there"
    if found is None:
        raise TrainingError(
            f"network interface {named!r} (resourceconfig.json network_interface_name) does "
            f"not exist on this host, which has {', '.join(present)}, and none could be found "
            f"that reaches the master at {master_address}: {reason}"
        )
    name, source = found
    log.warning(
        "network interface %s (resourceconfig.json network_interface_name) does not exist on "
        "this host (it has %s); using %s instead: its address %s is the one that routes to the "
        "master at %s",
        named, ", ".join(present), name, source, master_address,
    )  # fmt: skip
    return name
