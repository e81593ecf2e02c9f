"""Project texts the tests start from: the examples of YAML.md, made complete."""

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


def replace_lines(text: str, replacements: dict[str, str]) -> str:
    """``text`` with the first line starting with each ``key:`` replaced, indentation kept."""
    lines = text.splitlines()
    for key, new in replacements.items():
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(key + ":"))
        lines[index] = lines[index][: len(lines[index]) - len(lines[index].lstrip())] + new
    return "\n".join(lines) + "\n"


def declaration(**replacements: str) -> str:
    """The 申报表 example with whole lines replaced: ``declaration(年度="年度: 2024")``."""
    return replace_lines(DECLARATION, replacements)


def line_of(text: str, key: str) -> int:
    """1-based line of the first line that starts (after indentation) with ``key:``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(key + ":"))


SELF_EVALUATION = """\
表单: 自评表
年度: 2024
项目名称: 行政复议受理和行政诉讼应诉工作
主管部门: 上海市住房和城乡建设管理委员会
实施单位: 上海市城市管理行政执法局
项目资金:
  当年财政拨款: {年初预算数: 302000, 全年预算数: 302000, 全年执行数: 262000}
  上年结转资金: {年初预算数: 0, 全年预算数: 0, 全年执行数: 0}
  其他资金: {年初预算数: 0, 全年预算数: 0, 全年执行数: 0}
预算执行分值: 10
年度总体目标:
  预期目标: 提高本市城管执法系统依法行政水平及执法办案能力……
  实际完成情况: 召开7次重大疑难案件专家咨询……
绩效指标:
  产出指标:
    数量指标:
      重大疑难案件咨询开展次数:
        指标值: ">4(次)"
        实际完成值: 7.00(次)
        分值: 30
        得分: 30
      代理诉讼案件次数: {指标值: ≥4.00(次), 实际完成值: 0.00(次), 分值: 20, 得分: 0, 偏差原因分析及改进措施: 未发生诉讼}
  效益指标:
    可持续影响指标:
      应诉工作机制健全性: {指标值: 健全, 实际完成值: 达成指标, 分值: 30, 得分: 30}
  满意度指标:
    服务对象满意度指标:
      城管执法社会满意度: {指标值: ≥85(%), 实际完成值: 88.90(%), 分值: 10, 得分: 10}
"""


def self_evaluation(**replacements: str) -> str:
    """The 自评表 example with whole lines replaced."""
    return replace_lines(SELF_EVALUATION, replacements)
