import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A folder to write project files into, made the current folder so messages show short
    paths; ``write(name, text)`` returns the file's path."""
    monkeypatch.chdir(tmp_path)

    class Workspace:
        root = tmp_path

        def write(self, name: str, text: str) -> Path:
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return path

    return Workspace()


# formgen serve's tests work on copies of two sample units.
UNIT_2023 = "上海市城市管理行政执法局-2023"
UNIT_2024 = "上海市城市管理行政执法局-2024"
DECLARATION = f"{UNIT_2023}/课题研究.yaml"
SELF_EVALUATION = f"{UNIT_2024}/城管执法应急保障-自评.yaml"


@pytest.fixture
def served_workspace(tmp_path, monkeypatch):
    """A workspace of the two sample units formgen serve's tests edit, the current folder its parent."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "ws"
    for unit in (UNIT_2023, UNIT_2024):
        shutil.copytree(SAMPLES / unit, root / unit)
    return root


@pytest.fixture(scope="session")
def fidelity_build(tmp_path_factory):
    """A few samples built once in all three formats: a short 2023 form, a long one that
    runs over pages, a 2024 form with 成本指标 and empty amounts, one from the second unit,
    two 自评表 (one long) and a 2020 目标表."""
    from formgen.workspace import build

    source = tmp_path_factory.mktemp("fidelity-samples")
    picks = [
        "上海市城市管理行政执法局-2023/课题研究.yaml",
        "上海市城市管理行政执法局-2023/城管执法社会宣传.yaml",
        "上海市绿化和市容管理局行政服务中心-2024/行业信访、安全及保障稳定的应急工作专项.yaml",
        "上海市普陀区桃浦镇人民政府-2023/社发办-片区专项经费.yaml",
        "上海市城市管理行政执法局-2024/城管执法社会宣传-自评.yaml",
        "上海市城市管理行政执法局-2024/行政复议受理和行政诉讼应诉工作-自评.yaml",
        "上海市城市管理行政执法局-2020/城管执法监督考核.yaml",
    ]
    for pick in picks:
        target = source / pick
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / pick, target)
        shutil.copy(SAMPLES / Path(pick).parent / "formgen.yaml", target.parent)
    output = tmp_path_factory.mktemp("fidelity-output")
    report = build([source], output)
    assert report.ok, report.failed
    return report


@pytest.fixture(scope="session")
def sample_outputs(tmp_path_factory) -> Path:
    """Every sample built once in all three formats, with its 汇总表 (the output folder)."""
    from formgen.workspace import build

    output = tmp_path_factory.mktemp("sample-outputs")
    report = build([SAMPLES], output)
    assert report.ok, report.failed
    return output
