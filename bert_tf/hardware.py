"""What the CPU is: its model name and the instruction sets that decide the fastest path.

The scripts' start-up line and every benchmark figure name them, so figures from different
machines are never compared with each other.
"""

import functools
import platform

CPUINFO = "/proc/cpuinfo"
# From the oldest to the newest; a CPU's ISA is the newest it has. "avx512" is AVX-512F.
ISA_LEVELS = ("avx2", "avx512", "avx512_bf16", "amx")
_CPUINFO_FLAGS = {"avx2": "avx2", "avx512": "avx512f", "avx512_bf16": "avx512_bf16",
                  "amx": "amx_bf16"}


@functools.lru_cache(maxsize=None)
def read_cpuinfo(path=CPUINFO):
    """(model name, set of /proc/cpuinfo flags) of the first processor; ("", set()) elsewhere."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine(), frozenset()
    model, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return model or platform.machine(), flags


def isa_features(cpu_flags=None):
    """The ISA_LEVELS the CPU has, e.g. ("avx2", "avx512", "avx512_bf16")."""
    cpu_flags = read_cpuinfo()[1] if cpu_flags is None else cpu_flags
    return tuple(level for level in ISA_LEVELS if _CPUINFO_FLAGS[level] in cpu_flags)


def isa(cpu_flags=None):
    """The newest of ISA_LEVELS the CPU has ("avx2", "avx512", "avx512_bf16", "amx"), or
    "other"."""
    features = isa_features(cpu_flags)
    return features[-1] if features else "other"


def describe():
    """One phrase for log lines and benchmark figures, e.g. "AMD EPYC 9R14 (avx512_bf16)"."""
    model, _ = read_cpuinfo()
    return f"{model} ({isa()})"
