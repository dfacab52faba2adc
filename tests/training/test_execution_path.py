"""Which path a run takes (device, XLA, dtype) and the start-up line that names it."""

import types

import pytest

from bert_tf import hardware
from bert_tf.training import engine

AVX2 = {"fpu", "avx", "avx2", "fma"}
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512_vnni"}
AVX512_BF16 = AVX512 | {"avx512_bf16"}
AMX = AVX512_BF16 | {"amx_bf16", "amx_tile"}


def fake_strategy(device):
    return types.SimpleNamespace(
        num_replicas_in_sync=1,
        extended=types.SimpleNamespace(
            worker_devices=(f"/job:localhost/replica:0/task:0/device:{device}:0",)
        ),
    )


@pytest.fixture
def cpu(monkeypatch):
    """Sets the CPU that hardware reads: cpu(flags) -> None."""

    def set_cpu(flags, model="Fake EPYC"):
        monkeypatch.setattr(hardware, "read_cpuinfo", lambda path=None: (model, frozenset(flags)))

    return set_cpu


@pytest.mark.parametrize(
    "flags, expected",
    [(set(), True), (AVX2, True), (AVX512, False), (AVX512_BF16, False), (AMX, False)],
)
def test_auto_xla_on_cpu_is_off_from_avx512_on(flags, expected):
    assert hardware.xla_by_default("cpu", flags)[0] is expected


@pytest.mark.parametrize("device", ["gpu", "tpu"])
@pytest.mark.parametrize("flags", [AVX2, AVX512_BF16, AMX])
def test_auto_xla_is_on_for_accelerators_whatever_the_host_cpu(device, flags):
    on, why = hardware.xla_by_default(device, flags)
    assert on and device.upper() in why


@pytest.mark.parametrize(
    "device, flags, expected",
    [
        ("CPU", AVX2, True),
        ("CPU", AVX512_BF16, False),
        ("GPU", AVX512_BF16, True),
        ("TPU", AMX, True),
    ],
)
def test_options_left_to_auto_follow_the_rule(cpu, device, flags, expected):
    cpu(flags)
    options = engine.EngineOptions(output_dir="unused")
    assert options.enable_xla is None
    on, why = engine.use_xla(options, fake_strategy(device))
    assert on is expected and why.startswith("auto")


@pytest.mark.parametrize("device, flags", [("CPU", AVX2), ("CPU", AVX512_BF16), ("GPU", AMX)])
@pytest.mark.parametrize("given", [True, False])
def test_an_explicit_enable_xla_overrides_the_rule(cpu, device, flags, given):
    cpu(flags)
    options = engine.EngineOptions(output_dir="unused", enable_xla=given)
    assert engine.use_xla(options, fake_strategy(device)) == (
        given,
        "--enable_xla" if given else "--noenable_xla",
    )


def test_start_up_line_names_the_path_and_suggests_bfloat16_on_an_avx512_bf16_cpu(cpu):
    cpu(AVX512_BF16, model="AMD EPYC 9R14")
    line = engine.describe_path(engine.EngineOptions(output_dir="unused"), fake_strategy("CPU"))
    assert line.startswith("Path: CPU x1, XLA off (auto: ")
    assert "float32" in line and "AMD EPYC 9R14 (avx512_bf16)" in line
    assert f"--dtype=mixed_bfloat16 trained BERT-Base {hardware.BFLOAT16_SPEEDUP:g}x" in line


@pytest.mark.parametrize(
    "flags, device, dtype",
    [
        (AVX2, "CPU", "float32"),
        (AVX512_BF16, "CPU", "mixed_bfloat16"),
        (AVX512_BF16, "GPU", "float32"),
    ],
)
def test_no_bfloat16_suggestion_without_native_bfloat16_or_when_already_taken(
    cpu, flags, device, dtype
):
    cpu(flags)
    options = engine.EngineOptions(output_dir="unused", dtype=dtype, enable_xla=True)
    line = engine.describe_path(options, fake_strategy(device))
    assert "XLA on (--enable_xla)" in line and dtype in line
    assert "--dtype=mixed_bfloat16" not in line


def test_start_logs_the_path_once(cpu, tmp_path, monkeypatch):
    cpu(AVX2, model="AMD EPYC 7B13")
    # absl's handler may take its records off the root logger once a script ran in the process
    # (then caplog sees none): the lines are taken at the call.
    logged = []
    monkeypatch.setattr(
        engine.logging, "info", lambda message, *args: logged.append(message % args)
    )
    engine.start(engine.EngineOptions(output_dir=str(tmp_path), dtype="float32"))
    lines = [line for line in logged if line.startswith("Path: ")]
    expected = (
        "Path: CPU x1, XLA on (auto: XLA fuses the step on a CPU without AVX-512), "
        "float32; CPU AMD EPYC 7B13 (avx2)"
    )
    assert lines == [expected]
