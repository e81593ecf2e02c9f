"""What went wrong in a project file, said so that the user can fix it: the line of the slip, in Chinese.

PyYAML and pydantic describe what they could not do (``could not find expected ':'``,
``extra_forbidden``); people need what they did and how to mend it. The slips
people typing Chinese make most are recognised here by their shape: a full-width
colon after a key, an English comma that cut a text inside ``{…}``, a key one space
off, a 三级 indicator written straight under a 一级, a misspelled field name, an
amount written in 万. None of the libraries' English reaches the user.
"""

from __future__ import annotations

import difflib
import re
import typing

import yaml
from pydantic import BaseModel

from ..errors import Problem

QUOTE_HINT = '以 >、|、*、&、!、%、@、` 开头的值须加引号，例如 指标值: ">4(次)"'
FIELD_REFERENCE = "字段说明.md（formgen init 生成；或运行 formgen schema --reference）"
_MAX_KEY_CHARACTERS = 1024  # PyYAML reads no longer key, unless it is written after "? "
_SHOWN_CHARACTERS = 40
_FULL_WIDTH_COLON_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:：#\"'{}\[\]][^:：#\"'{}]*?)\s*：")
_COMMA_HINT = ("在 { } 中，含英文逗号“,”的文本须加引号（如 \"因疫情影响, 部分成果未能汇编\"），"
               "或改用分行的写法（每个字段一行）")


def shown(value: object) -> str:
    """A value as a message quotes it: a long text cut after 40 characters, saying how long it is,
    so that a 2,900-character value is not repeated whole in every message about it."""
    text = str(value)
    return text if len(text) <= _SHOWN_CHARACTERS else f"{text[:_SHOWN_CHARACTERS]}…（共 {len(text):,} 字）"


# --- YAML that does not parse --------------------------------------------------------------

def syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """The line and the fix for a YAML syntax error."""
    lines = text.splitlines()
    mark = exc.problem_mark or exc.context_mark
    index = min(mark.line, len(lines) - 1) if mark and lines else 0
    source_line = lines[index] if lines else ""
    colon = _full_width_colon(lines, index)
    if colon is not None:
        key = _FULL_WIDTH_COLON_KEY.match(lines[colon]).group(1)
        return Problem(file, colon + 1, "", f"“{key}”后面是全角冒号“：”：键后须用半角冒号加空格，如 {key}: …")
    value = source_line.split(":", 1)[1].strip() if ":" in source_line else source_line.strip()
    problem, context = exc.problem or "", exc.context or ""
    key = source_line.split(": ", 1)[0].strip()
    if "simple key" in context and len(key) > _MAX_KEY_CHARACTERS:
        return Problem(file, index + 1, "", f"键过长（{len(key):,} 字），YAML 的键最多 {_MAX_KEY_CHARACTERS} 字：长文本应写在"
                                            "字段名的冒号后面（如 项目总目标: …），或用 | 分行书写")
    if value[:1] in set(">|*&!%@`"):
        message = f"无法读取此值 {value!r}：{QUOTE_HINT}"
    elif "\\t" in problem:  # PyYAML spells a tab as backslash-t
        message = ("缩进不能用制表符（Tab），请改用空格" if source_line.lstrip(" ").startswith("\t")
                   else "值中有制表符（Tab），请改为空格，或给值加引号")
    elif "quoted scalar" in context and exc.context_mark is not None:
        return Problem(file, exc.context_mark.line + 1, "", "引号没有成对：从这一行开始的引号没有结束")
    elif "flow" in context and exc.context_mark is not None:
        return Problem(file, exc.context_mark.line + 1, "",
                       f"{{ }} 或 [ ] 没有成对，或其中的文本含有英文逗号：{_COMMA_HINT}")
    else:
        return _indentation_problem(lines, index, file)
    return Problem(file, index + 1, "", message)


def _full_width_colon(lines: list[str], index: int) -> int | None:
    """The line at or just above the error written ``键：值`` with no half-width colon."""
    for candidate in range(index, max(index - 3, -1), -1):
        line = lines[candidate]
        if ":" not in line.split("#")[0] and _FULL_WIDTH_COLON_KEY.match(line):
            return candidate
    return None


def _indentation_problem(lines: list[str], index: int, file: str) -> Problem:
    """Most other syntax errors are a key out of line: say which line and where it could align."""
    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def significant(i: int) -> bool:
        return bool(lines[i].strip()) and not lines[i].lstrip().startswith("#")

    above = [i for i in range(index) if significant(i)]
    for line_index in (above[-1] if above else None, index):  # the line PyYAML stumbled on, or its own
        if line_index is None or not significant(line_index):
            continue
        if ":" not in lines[line_index] and not lines[line_index].lstrip().startswith(("-", "[", "{", '"', "'")):
            return Problem(file, line_index + 1, "", "这一行缺少冒号：键后须写半角冒号加空格，如 绩效指标:")
        levels = sorted({indent(lines[i]) for i in above if i < line_index})
        previous = max((i for i in above if i < line_index), default=None)
        width = indent(lines[line_index])
        allowed = set(levels) | ({indent(lines[previous]) + 2} if previous is not None else {0})
        if width not in allowed:
            shown = "、".join(str(level) for level in levels) or "0"
            return Problem(file, line_index + 1, "",
                           f"缩进不对：这一行缩进 {width} 个空格，与上面各层（{shown} 个空格）都不对齐；"
                           "同一层的键须左对齐，下一层比上一层多缩进 2 个空格")
    return Problem(file, index + 1, "", "YAML 格式有误：请检查这一行和上一行的缩进（同层对齐，下层多缩进 2 格）、"
                                        "键后的半角冒号加空格“: ”，以及引号是否成对")


# --- YAML that parses but is not a project -------------------------------------------------

def validation_message(model: type[BaseModel], error: dict, flow_mappings: set, data: dict) -> str:
    """The message for one pydantic error on a project of ``model``."""
    path = tuple(str(part) for part in error["loc"])
    kind, given = error["type"], error["input"]
    if path[:-1] in flow_mappings and (kind == "extra_forbidden" or given is None) and \
            path[-1] not in _known_keys(model, path[:-1]):
        return f"“{shown(path[-1])}”像是被英文逗号截断的文本：{_COMMA_HINT}"
    if kind == "extra_forbidden":
        known = _known_keys(model, path[:-1])
        close = difflib.get_close_matches(path[-1], known, n=2, cutoff=0.4)
        hint = f"，是否想写 {' 或 '.join(close)}？" if close else "，请检查拼写"
        return f"不认识的字段“{shown(path[-1])}”{hint}（字段见 {FIELD_REFERENCE}）"
    if kind in ("dict_type", "model_type", "model_attributes_type") and isinstance(given, str):
        return _not_a_mapping(path, given)
    if given is None and kind != "missing":
        return "不能为空，请填写"
    messages = {"missing": "缺少必填字段", "dict_type": "应为 键: 值 的映射", "model_type": "应为 键: 值 的映射",
                "model_attributes_type": "应为 键: 值 的映射", "string_type": "应为文本"}
    return messages.get(kind) or error["msg"].removeprefix("Value error, ")


def _not_a_mapping(path: tuple[str, ...], given: str) -> str:
    if "：" in given:
        return f"这里应为 键: 值，但“{shown(given)}”用了全角冒号“：”：请改为半角冒号加空格"
    if path[:1] in (("绩效指标",), ("绩效目标",)):
        level = {2: "一级", 3: "二级"}.get(len(path))
        if len(path) == 2:
            return f"“{shown(path[1])}”是一级指标，其下应写二级指标（如 数量指标:），再在二级指标下写三级指标"
        if len(path) == 3:
            return (f"“{shown(path[2])}: {shown(given)}”写在了{level}指标“{shown(path[1])}”下，但看起来是三级指标："
                    f"请把它放到一个二级指标下（多缩进 2 格），或给“{shown(path[2])}”下面写三级指标")
    return "应为 键: 值 的映射（下一层多缩进 2 格）"


def _known_keys(model: type[BaseModel], path: tuple[str, ...]) -> list[str]:
    """The field names a project may write at ``path`` (empty below the indicator trees)."""
    current: type | None = model
    for part in path:
        fields = {field.alias or name: field for name, field in current.model_fields.items()}
        if part not in fields:
            return []
        current = next((t for t in (fields[part].annotation, *typing.get_args(fields[part].annotation))
                        if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if current is None:
            return []
    return [field.alias or name for name, field in current.model_fields.items()]
