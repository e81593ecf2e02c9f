#!/usr/bin/env bash
# Installs the system packages formgen needs, when they are missing (Debian/Ubuntu).
#   scripts/setup-system.sh          fonts and libraries to build forms (PDF needs Pango and a CJK Song face)
#   scripts/setup-system.sh --office also LibreOffice and poppler-utils, with which the tests open our
#                                    DOCX and XLSX and render PDF pages to images, the faces they print
#                                    them in as an office would (Carlito: Calibri's metrics; AR PL UMing:
#                                    another Song face), and Chromium, which the browser tests of formgen
#                                    serve drive
set -euo pipefail

# Captured first: `cmd | grep -q` fails under pipefail when grep stops reading early.
fonts=$(fc-list 2>/dev/null || true)
libraries=$(ldconfig -p 2>/dev/null || true)
packages=()
[[ $fonts == *NotoSerifCJK* ]] || packages+=(fonts-noto-cjk fontconfig)
[[ $libraries == *libpango-1.0.so* ]] || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
[[ $libraries == *libharfbuzz-subset.so* ]] || packages+=(libharfbuzz-subset0)
# Debian's python3 lacks venv until python3-venv is installed: `make` creates .venv with it.
python3 -c "import ensurepip, venv" 2>/dev/null || packages+=(python3-venv)
if [ "${1:-}" = "--office" ]; then
  command -v soffice >/dev/null || packages+=(libreoffice-writer-nogui libreoffice-calc-nogui)
  command -v pdftoppm >/dev/null || packages+=(poppler-utils)  # the tests look at PDF pages as images
  [[ $fonts == *Carlito* ]] || packages+=(fonts-crosextra-carlito)  # tests/test_office.py's font environments
  [[ $fonts == *"AR PL UMing"* ]] || packages+=(fonts-arphic-uming)
  [ -x /usr/bin/chromium ] || packages+=(chromium)  # driven by Playwright (tests/test_serve_browser.py)
fi
[ ${#packages[@]} -eq 0 ] && exit 0

echo "安装系统依赖：${packages[*]}"
if ! command -v apt-get >/dev/null; then
  echo "未找到 apt-get，请手动安装：${packages[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
