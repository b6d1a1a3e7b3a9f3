"""`shapelens check`: configuration, selection flags, suppressions, stdin and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapelens.cli import main
from tests.cli.conftest import CLEAN, program, run


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def codes(out: str) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in out.splitlines() if " [" in line and line.count(":") >= 3]


def test_defaults_report_everything_and_errors_fail(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    code, out, err = check(capsys, "model.py", "clean.py")
    assert code == 1 and err == ""
    assert codes(out) == ["SL101", "SL120"]
    assert out.splitlines()[-1] == "2 files, 2 models, 4 layers: 1 error, 1 warning"


@pytest.mark.parametrize("config_name, text", [
    ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.shapelens]\nignore = ['SL101']\n"),
    ("shapelens.toml", "ignore = ['SL101']\n"),
    (".shapelens.toml", "ignore = ['SL101']\n"),
])
def test_the_configuration_file_is_read(project, capsys, monkeypatch, config_name, text):
    (project / config_name).write_text(text)
    monkeypatch.chdir(project)
    code, out, err = check(capsys, "model.py")
    assert (code, codes(out), err) == (0, ["SL120"], "")


def test_the_closest_configuration_wins_and_is_not_merged(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text("[tool.shapelens]\nignore = ['SL101']\n")
    sub = project / "sub"
    sub.mkdir()
    (sub / "model.py").write_text(program())
    (sub / "shapelens.toml").write_text("[diagnostics]\nwarning = false\n")
    # a pyproject.toml without [tool.shapelens] does not count
    (sub / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    monkeypatch.chdir(project)
    code, out, _ = check(capsys, "model.py", "sub/model.py")
    by_file = {}
    for line in out.splitlines()[:-1]:
        by_file.setdefault(line.split(":")[0], []).append(line.split(": ")[1].split()[0])
    assert by_file == {"model.py": ["SL120"], str(Path("sub/model.py")): ["SL101"]}
    # in one directory .shapelens.toml comes before shapelens.toml before pyproject.toml
    (sub / ".shapelens.toml").write_text("select = ['SL120']\n")
    code, out, _ = check(capsys, "sub/model.py")
    assert codes(out) == ["SL120"]


def test_the_old_options_now_apply_to_the_cli(project, capsys, monkeypatch):
    """issue 14: `checks.data-shapes` and `diagnostics.error` were ignored by `check`."""
    (project / "pyproject.toml").write_text("[tool.shapelens.diagnostics]\nerror = false\n")
    monkeypatch.chdir(project)
    code, out, _ = check(capsys, "model.py")
    assert (code, codes(out)) == (0, ["SL120"])


def test_per_file_ignores_are_relative_to_the_config(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text("[tool.shapelens.per-file-ignores]\n'sub/*.py' = ['SL1']\n")
    (project / "sub").mkdir()
    (project / "sub" / "model.py").write_text(program())
    monkeypatch.chdir(project / "sub")
    code, out, _ = check(capsys, "model.py", "../model.py")
    assert codes(out) == ["SL101", "SL120"]  # only ../model.py's
    assert out.splitlines()[0].startswith(str(Path("../model.py")))


def test_select_ignore_and_extend_select_flags(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    assert codes(check(capsys, "--select", "SL12", "model.py")[1]) == ["SL120"]
    assert codes(check(capsys, "--ignore", "SL120", "model.py")[1]) == ["SL101"]
    assert codes(check(capsys, "--select", "SL2", "--extend-select", "SL101", "model.py")[1]) == ["SL101"]
    # the command line's --ignore adds to the configuration's
    (project / "shapelens.toml").write_text("ignore = ['SL101']\n")
    assert codes(check(capsys, "--ignore", "SL120", "model.py")[1]) == []
    # --select replaces the configuration's selection
    (project / "shapelens.toml").write_text("select = ['SL2']\n")
    assert codes(check(capsys, "--select", "SL1", "model.py")[1]) == ["SL101", "SL120"]


def test_config_flag_uses_that_file_for_every_file(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text("[tool.shapelens]\nignore = ['SL101']\n")
    other = project / "ci.toml"
    other.write_text("ignore = ['SL120']\n")
    monkeypatch.chdir(project)
    assert codes(check(capsys, "--config", "ci.toml", "model.py")[1]) == ["SL101"]
    code, out, err = check(capsys, "--config", "missing.toml", "model.py")
    assert code == 2 and out == "" and "--config missing.toml: no such file" in err


def test_bad_configuration_is_reported_and_the_run_goes_on(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text(
        "[tool.shapelens]\nselect = ['SL1', 'SL999']\nseverity = { SL120 = 'fatal' }\nbogus = 1\n")
    monkeypatch.chdir(project)
    code, out, err = check(capsys, "--ignore", "XY1,SL101", "model.py", "clean.py")
    assert code == 0 and codes(out) == ["SL120"]
    where = f"{(project / 'pyproject.toml').resolve()} [tool.shapelens]"
    assert err.splitlines() == [
        'shapelens: command line: unknown code "XY1" in `--ignore` ignored',
        f'shapelens: {where}: unknown code "SL999" in `select` ignored',
        f'shapelens: {where}: invalid value "fatal" for `severity.SL120` (one of "error", "warning", '
        f'"information", "hint"); ignored',
        f"shapelens: {where}: unknown option `bogus` ignored",
    ]  # once per configuration file, not once per checked file


def test_malformed_toml_names_the_file_and_falls_back_to_the_defaults(project, capsys, monkeypatch):
    (project / "shapelens.toml").write_text("select = ['SL1'\n")
    monkeypatch.chdir(project)
    code, out, err = check(capsys, "model.py")
    assert code == 1 and codes(out) == ["SL101", "SL120"]
    assert err.startswith(f"shapelens: {(project / 'shapelens.toml').resolve()}: not valid TOML (")
    assert err.rstrip().endswith("; ignored")


@pytest.mark.parametrize("flags, expected", [
    ((), 1),
    (("--exit-zero",), 0),
    (("--ignore", "SL101"), 0),
    (("--ignore", "SL101", "--fail-on", "warning"), 1),
    (("--ignore", "SL1", "--fail-on", "warning"), 0),
    (("--fail-on", "warning", "--exit-zero"), 0),
])
def test_exit_codes(project, capsys, monkeypatch, flags, expected):
    monkeypatch.chdir(project)
    assert check(capsys, *flags, "model.py")[0] == expected


def test_usage_errors_exit_2(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "xml", "model.py"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["check", "--fail-on", "info", "model.py"])
    assert exc.value.code == 2


def test_inline_suppressions_and_unused_report(project, capsys, monkeypatch):
    (project / "model.py").write_text(program(c1="  # shapelens: ignore[SL101]", c2="  # noqa: SL120, E501")
                                      + "x = 1  # shapelens: ignore\n")
    monkeypatch.chdir(project)
    code, out, _ = check(capsys, "model.py")
    assert (code, codes(out)) == (0, [])
    code, out, _ = check(capsys, "--report-unused-suppressions", "model.py")
    assert code == 0 and codes(out) == ["SL004"]  # a warning: fails only with --fail-on warning
    assert "model.py:9:8: SL004 [warning] unused suppression: no shapelens finding on this line" in out
    (project / "shapelens.toml").write_text("report-unused-suppressions = true\n")
    assert check(capsys, "--fail-on", "warning", "model.py")[0] == 1


def test_unknown_code_in_a_suppression_is_reported(project, capsys, monkeypatch):
    (project / "model.py").write_text(program(c1="  # shapelens: ignore[SL101, SL1O1]"))
    monkeypatch.chdir(project)
    code, out, _ = check(capsys, "model.py")
    assert code == 0
    assert "model.py:6:27: SL004 [warning] `SL1O1` in this suppression comment is not a shapelens code" in out


def test_stdin_with_a_file_name(project, capsys, monkeypatch):
    (project / "sub").mkdir()
    (project / "sub" / "shapelens.toml").write_text("ignore = ['SL120']\n")
    monkeypatch.chdir(project)
    proc = run("check", "-", "--stdin-filename", "sub/model.py", cwd=project, stdin=program())
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("sub/model.py:6:5: SL101 [error]")
    assert codes(proc.stdout) == ["SL101"]  # sub/shapelens.toml applies
    proc = run("check", "-", cwd=project, stdin=CLEAN)
    assert proc.returncode == 0 and proc.stdout.splitlines() == ["1 file, 1 model, 2 layers: 0 errors, 0 warnings"]
    proc = run("check", "--format", "json", "-", cwd=project, stdin=program())
    assert json.loads(proc.stdout)["files"][0]["path"] == "-"


def test_version(capsys):
    from shapelens import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"shapelens {__version__}\n"
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"{__version__}\n"


def test_check_does_not_import_the_server_or_tensorflow(project):
    """The CLI starts fast: no pygls, lsprotocol or TensorFlow in `check`, whatever the format."""
    import subprocess
    import sys

    from tests.cli.conftest import ROOT

    code = ("import sys; from shapelens.cli import main\n"
            "for f in ('text', 'json', 'sarif', 'github'):\n"
            "    main(['check', '--format', f, 'model.py'])\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'tensorflow', 'keras')]\n"
            "print('HEAVY', heavy, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT / "server"), "PATH": "/usr/bin:/bin"})
    assert "HEAVY []" in proc.stderr, proc.stderr
