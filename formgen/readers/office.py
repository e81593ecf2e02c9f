"""What only an office suite opens (.doc, .wps, .et, .odt, .rtf …) → converted by LibreOffice, then read.

LibreOffice converts a document to DOCX and a workbook to XLSX, which the readers of those
formats then read as any other (bounds included); messages name the user's file. It runs
headless with a profile of its own (a user's open LibreOffice is not disturbed, two imports
do not share one) and under a time limit. Without LibreOffice the user is told how to save
the file in a format formgen reads.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from . import ReadError

TIME_LIMIT_SECONDS = 120  # a first start with a new profile takes some 10 s on a loaded machine


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read(path: Path, kind):
    from . import docx, xlsx

    program = soffice()
    resave = "另存为 .docx" if kind.convert_to == "docx" else "另存为 .xlsx"
    if program is None:
        raise ReadError(f"{path}：是{kind.description}，formgen 不能直接读取；请在 WPS、Word 或 Excel 中打开，"
                        f"{resave} 后再导入（或安装 LibreOffice，formgen 即可自动转换）")
    with tempfile.TemporaryDirectory(prefix="formgen-office-") as folder:
        work = Path(folder)
        source = work / f"source{path.suffix.lower() or '.bin'}"  # a plain name: no option, no odd characters
        shutil.copyfile(path, source)
        converted = _convert(program, source, kind.convert_to, work, path)
        if converted is None:
            raise ReadError(f"{path}：LibreOffice 未能打开这个{kind.description}（可能已损坏或不是表单）；"
                            f"请在 WPS、Word 或 Excel 中打开，{resave} 后再导入")
        reader = docx if kind.convert_to == "docx" else xlsx
        try:
            return reader.read(converted, name=path.name)
        except ReadError as error:  # said of the user's file, not of the converted copy
            raise ReadError(str(error).replace(str(converted), str(path))) from None


def _convert(program: str, source: Path, target: str, work: Path, path: Path) -> Path | None:
    """``source`` (a copy of the user's ``path``) converted by LibreOffice into ``work``, or None
    when it could not."""
    profile = work / "profile"
    _offline_profile(profile)
    command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(work / "out"), str(source)]
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=_offline_environment())
    except OSError as error:
        raise ReadError(f"{path}：无法启动 LibreOffice（{error.strerror}）") from None
    try:
        process.wait(timeout=TIME_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # soffice starts soffice.bin: end the whole group
        process.wait()
        raise ReadError(f"{path}：LibreOffice 转换超过 {TIME_LIMIT_SECONDS} 秒仍未完成，已停止；"
                        "请在 WPS、Word 或 Excel 中另存为 .docx 或 .xlsx 后再导入") from None
    converted = work / "out" / f"{source.stem}.{target}"
    return converted if converted.is_file() else None


# A document may link images and sections by URL, and LibreOffice fetches them as it opens it: an
# uploaded file would make the server send requests into the office network. Every request is sent
# to a proxy that is not there (the discard port of this machine), in the profile and in the
# environment, so none leaves.
_NOWHERE = ("127.0.0.1", 9)
_PROXY_SETTINGS = "".join(
    f'<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="{name}" oor:op="fuse">'
    f'<value>{value}</value></prop></item>'
    for name, value in [("ooInetProxyType", 2), ("ooInetNoProxy", ""),
                        *[(f"ooInet{scheme}ProxyName", _NOWHERE[0]) for scheme in ("HTTP", "HTTPS", "FTP")],
                        *[(f"ooInet{scheme}ProxyPort", _NOWHERE[1]) for scheme in ("HTTP", "HTTPS", "FTP")]])


def _offline_profile(profile: Path) -> None:
    """A new LibreOffice profile whose every network request goes to the proxy that is not there."""
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{_PROXY_SETTINGS}</oor:items>\n", encoding="utf-8")


def _offline_environment() -> dict[str, str]:
    proxy = f"http://{_NOWHERE[0]}:{_NOWHERE[1]}"
    environment = {key: value for key, value in os.environ.items() if key.lower() != "no_proxy"}
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy"):
        environment[name] = environment[name.upper()] = proxy
    return environment

