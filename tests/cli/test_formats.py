"""`--format json | sarif | github`: contracts, the official SARIF schema, GitHub's escaping."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from shapelens.cli import main
from shapelens.core.results import Diagnostic
from shapelens.core.codes import CODES
from shapelens.core.source import Span
from shapelens.report import github_lines
from tests.cli.conftest import ROOT, program

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def output(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_json_keeps_its_contract_and_adds_models(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    code, out = output(capsys, "--format", "json", "model.py")
    data = json.loads(out)
    assert code == 1 and data["version"] == 1
    (entry,) = data["files"]
    assert list(entry) == ["path", "layers", "diagnostics", "models", "keras"]
    assert set(entry["keras"]) == {"version", "reason"}
    assert entry["keras"]["version"] == "3" and entry["keras"]["reason"]
    (sl101,) = [d for d in entry["diagnostics"] if d["code"] == "SL101"]
    assert sl101 == {"line": 6, "column": 5, "end_line": 6, "end_column": 24, "severity": "error", "code": "SL101",
                     "message": sl101["message"]}
    assert set(entry["layers"][0]) == {"line", "column", "kind", "input_shape", "output_shape", "params"}
    (model,) = entry["models"]
    assert model == {"name": "model", "kind": "Sequential", "line": 4, "column": 9, "inputs": [[None, 4, 4, 1]],
                     "outputs": [], "total_params": None, "layers": 2}


def test_json_models_of_a_functional_model_with_two_inputs(capsys):
    code, out = output(capsys, "--format", "json", str(ROOT / "examples" / "two_input_functional.py"))
    (model,) = json.loads(out)["files"][0]["models"]
    assert model["kind"] == "Functional" and len(model["inputs"]) == 2 and len(model["outputs"]) >= 1
    assert isinstance(model["total_params"], int) and model["total_params"] > 0


def test_json_reports_only_the_selected_findings(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    _, out = output(capsys, "--format", "json", "--ignore", "SL101", "model.py")
    assert [d["code"] for d in json.loads(out)["files"][0]["diagnostics"]] == ["SL120"]


def sarif(capsys, *args: str) -> dict:
    _, out = output(capsys, "--format", "sarif", *args)
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    return log


def test_sarif_is_valid_and_complete(project, capsys, monkeypatch):
    (project / "model.py").write_text(program(c2="  # noqa: SL999"), encoding="utf-8")
    monkeypatch.chdir(project)
    log = sarif(capsys, "model.py", "clean.py", str(ROOT / "examples" / "mistake_channel_mismatch.py"))
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    for r in rules:
        assert r["helpUri"] == f"https://github.com/shapelens/shapelens/blob/main/docs/rules/{r['id']}.md"
        assert (ROOT / "docs" / "rules" / f"{r['id']}.md").exists()
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["SL101"] == "error" and levels["SL120"] == "warning" and levels["SL004"] == "warning"
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "model.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 24}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    outside = [r for r in run["results"] if "mistake_channel_mismatch" in json.dumps(r)]
    assert outside and outside[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")


def test_sarif_of_a_clean_run_and_of_odd_paths(tmp_path, capsys, monkeypatch):
    odd = tmp_path / "dir with space" / "ünï code.py"
    odd.parent.mkdir()
    odd.write_text(program(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    log = sarif(capsys, "dir with space")
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%BCn%C3%AF%20code.py"
    (tmp_path / "clean.py").write_text("x = 1\n")
    assert sarif(capsys, "clean.py")["runs"][0]["results"] == []


def test_the_schema_rejects_what_it_should():
    """The vendored schema is the real one: it refuses a result without a message."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "SL101"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft4Validator)


def test_github_annotations(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    code, out = output(capsys, "--format", "github", "model.py")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2
    assert lines[0].startswith("::error file=model.py,line=6,col=5,endLine=6,endColumn=24,title=SL101::Conv2D kernel")
    assert lines[1].startswith("::warning file=model.py,line=7,col=5,endLine=7,endColumn=38,title=SL120::")
    # absolute paths under the checkout become relative, as GitHub expects
    _, out = output(capsys, "--format", "github", str(project / "model.py"))
    assert out.startswith("::error file=model.py,line=6,")


def test_github_escaping():
    d = Diagnostic("SL003", "information", "50% done\nsecond line\r, a: b", Span(0, 0, 0, 1))
    (line,) = github_lines("a,b:c%.py", [d])
    assert line == ("::notice file=a%2Cb%3Ac%25.py,line=1,col=1,endLine=1,endColumn=2,title=SL003::"
                    "50%25 done%0Asecond line%0D, a: b")
    assert github_lines("x.py", [d], show_info=False) == []
