"""An instance type's vCPUs and memory, as ``docker run --cpus/--memory`` where they fit here.

The validation jobs run on the instance types of the profile; locally the container gets the
same CPU and memory limits, so an algorithm that needs more than the instance has fails here
too. Sizes follow EC2's naming (``large`` = 2 vCPUs, ``xlarge`` = 4, ``Nxlarge`` = 4N) and
each family's memory per vCPU (https://aws.amazon.com/sagemaker/pricing/ lists them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

GIB_PER_VCPU = {"c": 2.0, "m": 4.0, "r": 8.0, "t": 2.0, "g": 4.0, "p": 7.6, "inf": 2.0}
_INSTANCE = re.compile(r"ml\.(?P<family>[a-z]+)(?P<generation>\d+)[a-z]*\.(?P<size>\w+)")


@dataclass(frozen=True)
class Resources:
    cpus: int
    memory_gib: float

    def docker_arguments(self) -> list[str]:
        return ["--cpus", str(self.cpus), "--memory", f"{int(self.memory_gib * 1024)}m"]


def instance_resources(instance_type: str) -> Resources | None:
    match = _INSTANCE.fullmatch(instance_type)
    if match is None:
        return None
    cpus = _vcpus(match["size"])
    family = match["family"]
    per_cpu = GIB_PER_VCPU.get(family) or GIB_PER_VCPU.get(family[:1])
    if cpus is None or per_cpu is None:
        return None
    return Resources(cpus, cpus * per_cpu)


def _vcpus(size: str) -> int | None:
    named = {"medium": 2, "large": 2, "xlarge": 4}
    if size in named:
        return named[size]
    multiple = re.fullmatch(r"(\d+)xlarge", size)
    return 4 * int(multiple[1]) if multiple else None


def host_memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def limits_for(instance_type: str) -> tuple[list[str], str]:
    """``docker run`` limits for the instance type, and a note of what was applied."""
    resources = instance_resources(instance_type)
    if resources is None:
        return [], f"{instance_type or 'no instance type'}: size unknown, no limits"
    cpus_here = os.cpu_count() or 1
    if resources.cpus > cpus_here or resources.memory_gib > host_memory_gib():
        return [], (
            f"{instance_type} ({resources.cpus} vCPUs, {resources.memory_gib:g} GiB) is larger "
            "than this machine: no limits"
        )
    note = f"{instance_type} limits: {resources.cpus} CPUs, {resources.memory_gib:g} GiB"
    return resources.docker_arguments(), note
