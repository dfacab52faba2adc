"""bench/run_all.py gathers the benchmarks' figures by calling their functions, each row naming
the CPU it ran on, and no benchmark edits sys.path."""

import os
import re

from absl import flags

from bert_tf import hardware

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_importing_run_all_defines_no_flag_so_a_benchmark_process_can_define_its_own():
    before = set(flags.FLAGS)
    from bench import run_all

    assert set(flags.FLAGS) == before
    assert callable(run_all.measure_in_own_process)


def test_every_row_of_the_table_names_its_cpu():
    from bench import run_all

    cpu = hardware.describe()
    table = run_all.format_table(
        [
            ("training step", "1.00 sequences/s", "notes", cpu),
            ("data prep", "2.00 s", "more notes", cpu),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["benchmark", "figure", "notes", "[cpu]"]
    assert all(line.endswith(f"[{cpu}]") for line in lines[1:])
    assert re.search(r"\((avx2|avx512|avx512_bf16|amx|other)\)$", cpu)


def test_no_benchmark_or_recipe_edits_sys_path():
    for folder in ("bench", "recipes"):
        for name in sorted(os.listdir(os.path.join(REPO, folder))):
            if name.endswith(".py"):
                with open(os.path.join(REPO, folder, name), encoding="utf-8") as f:
                    assert "sys.path" not in f.read(), f"{folder}/{name}"
