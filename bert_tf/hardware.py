"""What the CPU is: its model name and the instruction sets that decide the fastest path.

The scripts' start-up line and every benchmark figure name them, so figures from different
machines are never compared with each other.
"""

import functools
import platform

CPUINFO = "/proc/cpuinfo"
# From the oldest to the newest; a CPU's ISA is the newest it has. "avx512" is AVX-512F.
ISA_LEVELS = ("avx2", "avx512", "avx512_bf16", "amx")
_CPUINFO_FLAGS = {
    "avx2": "avx2",
    "avx512": "avx512f",
    "avx512_bf16": "avx512_bf16",
    "amx": "amx_bf16",
}


@functools.cache
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


# The training step's speed-up from --dtype=mixed_bfloat16 (no XLA), BERT-Base, on an AMD EPYC
# with avx512_bf16: the figure the start-up line quotes (README, "Which path a run takes").
BFLOAT16_SPEEDUP = 1.5


def xla_by_default(device, cpu_flags=None):
    """Whether a run compiles its training step with XLA when --enable_xla is not given.

    The one rule, from measurements of BERT's training step (README, "Which path a run
    takes"): XLA on GPU and TPU, and on CPUs without AVX-512, where its fused step is faster
    (1.25x on an AVX2 EPYC); off on AVX-512 CPUs, where TensorFlow's own oneDNN kernels run
    the matmuls with AVX-512 (and AVX512_BF16 for bfloat16) while XLA's CPU dots run
    Eigen code built for the wheel's baseline ISA: the step is 1.2x faster without XLA in
    float32, and only without XLA does mixed_bfloat16 speed it up.

    Args:
        device: "cpu", "gpu" or "tpu", the device the step runs on.
        cpu_flags: optional set of /proc/cpuinfo flags (default: this machine's).

    Returns:
        (bool, str): the choice and why, for the start-up line.
    """
    if device != "cpu":
        return True, f"auto: on {device.upper()}"
    if "avx512" in isa_features(cpu_flags):
        return False, "auto: oneDNN's AVX-512 kernels beat XLA's CPU dots"
    return True, "auto: XLA fuses the step on a CPU without AVX-512"


def has_bfloat16_matmul(cpu_flags=None):
    """Whether the CPU multiplies bfloat16 natively (AVX512_BF16 or AMX)."""
    return bool({"avx512_bf16", "amx"} & set(isa_features(cpu_flags)))
