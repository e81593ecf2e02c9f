"""``formgen init`` and ``formgen templates export``: the files a unit starts from.

Neither ever overwrites a file: a workspace holds the officers' own work.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from ..errors import FormgenError
from ..files import write_text_atomically
from ..layout import BUILTIN_TEMPLATES
from ..yamlwrite import Block, Commented, dump
from .schema import REFERENCE_FILE, SCHEMA_FILE, field_reference, schema_text

_MODELINE = f"yaml-language-server: $schema=./{SCHEMA_FILE}"

UNIT_SETTINGS = dump({
    "主管部门": "上海市某某委员会",
    "实施单位": "上海市某某局",
    "汇总表标题": "上海市某某局项目绩效汇总表",
}, header=["本目录下所有项目共用的字段；项目文件中的同名字段优先。"],
   footer=["顺序: [课题研究]        # 汇总表中的顺序（可选）", "格式: [docx, xlsx, pdf]  # 默认生成的格式（可选）"])

DECLARATION = dump({
    "表单": "申报表",
    "年度": 2023,
    "项目名称": "课题研究",
    "项目性质": "其他一次性项目",
    "项目类别": "特定目标类",
    "计划开始日期": "2023-01-01",
    "计划完成日期": "2023-12-31",
    "项目资金": Commented({
        "项目资金总额": Decimal("400000.00"), "财政资金": Decimal("400000.00"), "其他资金": 0,
        "年度资金申请总额": Decimal("400000.00"), "当年财政拨款": Decimal("400000.00"), "上年结转资金": 0,
        "年度其他资金": 0}, "元；不写的金额显示为空格"),
    "项目总目标期间": "2023-2023",
    "项目总目标": Block("按时按量完成课题研究，全部通过结题验收，研究成果得到实际运用。"),
    "年度总体目标": Block("完成 7 项课题研究，全部通过结题验收。"),
    "绩效指标": Commented({
        "产出指标": {
            "数量指标": {"课题数量": "=7.00(个)", "工作开展天数": "120"},
            "质量指标": {"课题验收通过率": "=100(%)"},
            "时效指标": {"课题完成及时性": "及时"},
        },
        "效益指标": {"社会效益指标": {"项目成果共享": "汇编共享"}},
        "满意度指标": {"服务对象满意度指标": {"牵头处室满意度": "≥90(%)"}},
    }, "一级 → 二级 → 三级: 指标值，按书写顺序排列"),
}, header=[_MODELINE])


def _evaluation(target: str, actual: str, weight: int) -> dict:
    return {"指标值": target, "实际完成值": actual, "分值": weight}


SELF_EVALUATION = dump({
    "表单": "自评表",
    "年度": 2023,  # the 自评表 of 2023 evaluates what the 2023 申报表 declared
    "项目名称": "课题研究（自评）",
    "项目资金": Commented({
        "当年财政拨款": {"年初预算数": 400000, "全年预算数": 400000, "全年执行数": 396000},
        "上年结转资金": {"年初预算数": 0, "全年预算数": 0, "全年执行数": 0},
        "其他资金": {"年初预算数": 0, "全年预算数": 0, "全年执行数": 0},
    }, "元，精确到分；表上按万元显示。年度资金总额、执行率由 formgen 计算"),
    "预算执行分值": 10,
    "年度总体目标": {
        "预期目标": Block("完成 7 项课题研究，全部通过结题验收。"),
        "实际完成情况": Block("完成 7 项课题研究，均通过结题验收。"),
    },
    "绩效指标": Commented({
        "产出指标": {"数量指标": {
            "课题数量": _evaluation("=7.00(个)", "7.00(个)", 30),
            "工作开展天数": _evaluation("120", "120.00(天)", 20)}},
        "效益指标": {"社会效益指标": {"项目成果共享": _evaluation("汇编共享", "达成指标", 30)}},
        "满意度指标": {"服务对象满意度指标": {"牵头处室满意度": _evaluation("≥90(%)", "95.00(%)", 10)}},
    }, "得分可留空：formgen 按完成情况建议并列出"),
}, header=[_MODELINE])

GUIDE = """\
# 使用说明

本目录是一个 formgen 工作区：每个项目一个 YAML 文件，`formgen.yaml` 写本单位共用的字段。

- `课题研究.yaml`：申报表示例；`课题研究-自评.yaml`：自评表示例。照此修改或复制。
- 生成表单：`formgen build . -o output`，每个项目生成 DOCX、XLSX、PDF，并生成本单位的汇总表。
- 只检查不生成：`formgen check .`
- 边改边看：`formgen watch . -o output`，每次保存自动重新生成。
- 年终由本年度的申报表开始自评（自评表与申报表同一年度）：`formgen new 自评表 --from 课题研究.yaml -o 课题研究-2023自评.yaml`
- 编辑器提示：`formgen.schema.json` 是项目文件的结构说明。VS Code 安装 YAML 扩展（Red Hat）后，
  项目文件第一行的 `# yaml-language-server: $schema=./formgen.schema.json` 会让编辑器补全字段名并标出错误。
- 字段说明：`字段说明.md` 列出每个字段的写法；出错时 formgen 会指出文件、行号和字段。
- 调整表样：`formgen templates export .` 把内置模板复制到 `templates/`，修改后对本目录生效。
"""


def init_workspace(folder: Path) -> list[Path]:
    """Write a new workspace into ``folder``; refuses to touch any file that exists."""
    files = {
        "formgen.yaml": UNIT_SETTINGS,
        "课题研究.yaml": DECLARATION,
        "课题研究-自评.yaml": SELF_EVALUATION,
        "使用说明.md": GUIDE,
        SCHEMA_FILE: schema_text(),
        REFERENCE_FILE: field_reference(),
    }
    existing = [name for name in files if (folder / name).exists()]
    if existing:
        raise FormgenError(f"{folder} 中已有 {'、'.join(existing)}，未写入任何文件")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_text_atomically(folder / name, text)
    return [folder / name for name in files]


def export_templates(workspace: Path) -> list[Path]:
    """Copy the built-in templates into ``workspace/templates``, where they override the built-in ones."""
    target = workspace / "templates"
    sources = sorted(p for p in BUILTIN_TEMPLATES.iterdir() if p.is_file())
    existing = [p.name for p in sources if (target / p.name).exists()]
    if existing:
        raise FormgenError(f"{target} 中已有 {'、'.join(existing)}，未复制任何文件（请先移走或改名）")
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(source, target / source.name)) for source in sources]
