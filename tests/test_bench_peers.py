"""bench/bench_peers.py's helpers: arguments, the zoo file, pooling and the tables (no server is started)."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_peers  # noqa: E402


def test_arguments_default_quick_and_subsets():
    full = bench_peers.parse_args([])
    assert (full.rounds, full.edits, full.hovers) == (2, 6, 4)
    assert full.servers == ["shapelens", "ty", "basedpyright", "jedi-language-server", "python-lsp-server", "ruff"]
    quick = bench_peers.parse_args(["--quick", "--servers", "shapelens, ty", "--files", "realistic", "--pull", "ty"])
    assert (quick.rounds, quick.edits, quick.hovers) == (1, 2, 2)
    assert quick.servers == ["shapelens", "ty"] and quick.files == ["realistic"] and quick.pull == ["ty"]
    assert bench_peers.parse_args(["--rounds", "5", "--edits", "3"]).rounds == 5


def test_unknown_server_is_refused():
    with pytest.raises(SystemExit):
        bench_peers.parse_args(["--servers", "pyright-nightly"])


def test_files_are_python_and_the_zoo_leaves_out_planted_mistakes():
    files = bench_peers.bench_files()
    assert set(files) == {"realistic_300.py", "generated_5000.py", "programs_zoo.py",
                          "attention_transformer_block.py", "actor_critic_loop.py", "char_lstm_generation.py"}
    for text in files.values():
        ast.parse(text)
    zoo = files["programs_zoo.py"]
    assert "# ---- lstm_text.py" in zoo
    assert "# ---- err_" not in zoo and "# ---- warn_" not in zoo
    assert len(files["generated_5000.py"].splitlines()) == 5000


def test_summarize_pools_rounds_and_keeps_errors():
    runs = [
        {"initialize_s": 0.010, "open_s": 0.1, "change_s": [0.02, 0.04], "hover_s": [0.001], "hover_empty": 1,
         "peak_kib": 2048, "errors": []},
        {"initialize_s": 0.030, "change_s": [0.03], "hover_s": [], "hover_empty": 0, "errors": ["TimeoutError: x"]},
    ]
    s = bench_peers.summarize(runs)
    assert s["initialize"]["n"] == 2 and s["initialize"]["p50_ms"] == pytest.approx(20.0)
    assert s["open_to_diagnostics"]["n"] == 1
    assert s["change_to_diagnostics"]["n"] == 3 and s["change_to_diagnostics"]["p50_ms"] == pytest.approx(30.0)
    assert s["hover"]["n"] == 1 and s["hover_empty"] == 1
    assert s["peak_mib"] == 2.0 and s["errors"] == ["TimeoutError: x"]
    assert bench_peers.summarize([{"change_s": [], "hover_s": [], "hover_empty": 0, "errors": []}])["hover"] is None


def _stats(p50: float, p95: float) -> dict:
    return {"p50_ms": p50, "p95_ms": p95, "min_ms": p50, "n": 4}


def _result() -> dict:
    def per(init, change, hover, peak):
        return {"initialize": _stats(init, init), "open_to_diagnostics": _stats(change, change),
                "change_to_diagnostics": _stats(change, 2 * change), "hover": hover and _stats(hover, hover),
                "hover_empty": 0, "peak_mib": peak, "errors": []}

    f = "a.py"
    return {"files": {f: {"lines": 10, "hover_positions": 2}},
            "servers": {"shapelens": {"version": "abc", "diagnostics": "push", "debounce": "25 ms", "errors": []},
                        "ty": {"version": "1.0", "diagnostics": "pull", "debounce": "none", "errors": []}},
            "summary": {"shapelens": {f: per(400, 40, 2, 50)},
                        "shapelens (debounce 0)": {f: per(400, 20, None, 50)},
                        "ty": {f: per(10, 10, 4, 100)}}}


def test_table_has_a_row_per_server_and_ratios_against_shapelens():
    text = bench_peers.render_table(_result())
    lines = text.splitlines()
    ty_ratio = next(line for line in lines if "shapelens / ty" in line).split()
    # initialize 400/10, open 40/10, change p50 40/10, p95 80/20, hover 2/4 (p50, p95), memory 50/100
    assert ty_ratio[3:] == ["40×", "4.00×", "4.00×", "4.00×", "0.50×", "0.50×", "0.50×"]
    debounce0 = next(line for line in lines if "same, shapelens debounce 0" in line).split()
    assert debounce0[4:] == ["—", "—", "2.00×", "2.00×", "—", "—", "—"]
    assert not any("shapelens / shapelens" in line for line in lines)


def test_markdown_table_and_server_list():
    md = bench_peers.render_table(_result(), markdown=True).splitlines()
    assert md[0] == "**a.py (10 lines, 2 hover positions)**"
    header = next(line for line in md if line.startswith("| server |"))
    assert header.count("|") == len(bench_peers.COLUMNS) + 2
    assert "| ty | 10.0 | 10.0 | 10.0 | 20.0 | 4.0 | 4.0 | 100 |" in md
    servers = bench_peers.render_servers(_result())
    assert "ty" in servers and "pull" in servers and "25 ms" in servers


def test_peak_memory_of_a_process_tree_counts_this_process():
    assert bench_peers.tree_hwm_kib(os.getpid()) > 1024


def test_compact_tables_put_files_in_rows_and_servers_in_columns():
    md = bench_peers.render_compact(_result()).splitlines()
    i = md.index("**change → diagnostics p95, ms**")
    assert md[i + 2] == "| file | shapelens | shapelens (debounce 0) | ty | shapelens / ty | debounce 0 / ty |"
    assert md[i + 4] == "| a.py (10 lines) | 80.0 | 40.0 | 20.0 | 4.00× | 2.00× |"
    j = md.index("**peak RSS of the process tree, MiB**")
    assert md[j + 2] == "| file | shapelens | ty |" and md[j + 4] == "| a.py (10 lines) | 50.0 | 100 |"
