"""Project texts the tests start from: the 申报表 example of YAML.md."""

DECLARATION = """\
表单: 申报表
年度: 2023
项目名称: 课题研究
项目性质: 其他一次性项目
项目类别: 特定目标类
主管部门: 上海市住房和城乡建设管理委员会
实施单位: 上海市城市管理行政执法局
计划开始日期: 2023-01-01
计划完成日期: 2023-12-31
项目资金:
  项目资金总额: 400000.00
  财政资金: 400000.00
  其他资金: 0
  年度资金申请总额: 400000.00
  当年财政拨款: 400000.00
  上年结转资金: 0
  年度其他资金: 0
项目总目标期间: 2023-2023
项目总目标: |
  项目立项依据充分且立项规范……
年度总体目标: |
  项目立项依据充分且立项规范……
绩效指标:
  产出指标:
    数量指标:
      人员配置数量: ≥2(人)
      课题数量: =7.00(个)
      工作开展天数: "120"
    质量指标:
      课题验收通过率: =100(%)
    时效指标:
      人员到位及时性: 及时
  效益指标:
    社会效益指标:
      项目成果共享: 汇编共享
  满意度指标:
    服务对象满意度指标:
      牵头处室满意度: ≥90(%)
"""


def declaration(**replacements: str) -> str:
    """The example with whole lines replaced: ``declaration(**{"年度": "年度: 2024"})``."""
    lines = DECLARATION.splitlines()
    for key, new in replacements.items():
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(key + ":"))
        lines[index] = lines[index][: len(lines[index]) - len(lines[index].lstrip())] + new
    return "\n".join(lines) + "\n"


def line_of(text: str, key: str) -> int:
    """1-based line of the first line that starts (after indentation) with ``key:``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(key + ":"))
