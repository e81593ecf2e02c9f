"""formgen init, templates export and schema."""

import json

import jsonschema
import yaml
from click.testing import CliRunner

from formgen.workspace import check
from formgen.cli import main
from formgen.commands.schema import project_schema
from conftest import SAMPLES


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2: a date stays a string)."""


_EditorLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def documents(path):
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_EditorLoader) if d]


def test_schema_accepts_every_sample():
    validator = jsonschema.Draft202012Validator(project_schema())
    files = [p for p in SAMPLES.rglob("*.yaml") if p.name != "formgen.yaml"]
    assert len(files) == 63
    for path in files:
        for document in documents(path):
            errors = list(validator.iter_errors(document))
            assert errors == [], (path, [e.message for e in errors])


def test_schema_rejects_a_broken_project():
    validator = jsonschema.Draft202012Validator(project_schema())
    [good] = documents(SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml")
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "项目负责人": "张三"})  # an unknown key
    assert not validator.is_valid({**good, "项目资金": {"财政资金": [1, 2]}})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "绩效指标"})


def test_schema_command_writes_the_schema(workspace):
    result = CliRunner().invoke(main, ["schema", "-o", "s.json"])
    assert result.exit_code == 0
    written = json.loads((workspace.root / "s.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(project_schema()))
    assert "项目名称" in written["$defs"]["申报表"]["properties"]


def test_init_creates_a_workspace_that_builds(workspace):
    result = CliRunner().invoke(main, ["init", "单位"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (workspace.root / "单位").iterdir())
    assert names == ["formgen.schema.json", "formgen.yaml", "使用说明.md", "字段说明.md", "课题研究-自评.yaml", "课题研究.yaml"]
    report = check([workspace.root / "单位"])
    assert report.failed == [] and sorted(f.kind for f in report.done) == ["申报表", "自评表"]
    built = CliRunner().invoke(main, ["build", "单位", "-o", "out", "-f", "xlsx"])
    assert built.exit_code == 0 and (workspace.root / "out" / "上海市某某局项目绩效汇总表.xlsx").is_file()


def test_init_never_overwrites(workspace):
    workspace.write("单位/课题研究.yaml", "我的项目\n")
    result = CliRunner().invoke(main, ["init", "单位"])
    assert result.exit_code == 1 and "未写入任何文件" in result.output
    assert (workspace.root / "单位" / "课题研究.yaml").read_text(encoding="utf-8") == "我的项目\n"
    assert not (workspace.root / "单位" / "formgen.yaml").exists()


def test_templates_export_copies_the_builtin_ones_once(workspace):
    result = CliRunner().invoke(main, ["templates", "export", "单位"])
    assert result.exit_code == 0
    assert sorted(p.name for p in (workspace.root / "单位" / "templates").iterdir()) == [
        "_macros.html", "_page.html", "form.css", "申报表.html", "目标表.html", "自评表.html"]
    again = CliRunner().invoke(main, ["templates", "export", "单位"])
    assert again.exit_code == 1 and "未复制任何文件" in again.output


def test_the_field_reference_in_docs_is_the_generated_one():
    from formgen.commands.schema import field_reference

    reference = (SAMPLES.parent / "docs" / "fields.md").read_text(encoding="utf-8")
    assert reference == field_reference(), "run: formgen schema --reference -o docs/fields.md"
    for name in ("项目名称", "项目资金.当年财政拨款.全年执行数", "绩效指标.一级.二级.三级.实际完成值", "汇总表标题"):
        assert f"| {name} |" in reference


def test_the_schema_points_an_editor_at_the_wrong_field_of_the_right_form():
    validator = jsonschema.Draft202012Validator(project_schema())
    [good] = documents(SAMPLES / "上海市城市管理行政执法局-2023" / "课题研究.yaml")
    errors = list(validator.iter_errors({**good, "表单": "申报表", "项目资金": {**good["项目资金"], "财政资金": "115万"}}))
    assert errors and all("申报表" in str(e.schema_path) or "财政资金" in str(list(e.absolute_path)) for e in errors)
    deepest = max(errors, key=lambda e: len(e.absolute_path))
    assert list(deepest.absolute_path) == ["项目资金", "财政资金"]
    assert not any("anyOf" in str(e.schema_path) for e in errors)
    assert project_schema()["$defs"]["申报表"]["properties"]["项目名称"]["description"] == "项目名称，也是输出文件名"
