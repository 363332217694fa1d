#!/usr/bin/env bash
# Screenshots of the built docs site (make docs first) in headless Chromium (Debian's `chromium`):
#   [HEIGHT=px] tools/screenshot_docs.sh [out-dir] [page ...]   default pages: the index and the first tutorial (height 2400)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-figures/docs}; shift || true
PAGES=("$@"); [ ${#PAGES[@]} -gt 0 ] || PAGES=("" "nbs/tutorials/01_query_benchmarks/")
command -v chromium >/dev/null || { echo "chromium not found: apt-get install chromium" >&2; exit 1; }
[ -f site/index.html ] || { echo "site/ not built: run make docs" >&2; exit 1; }
mkdir -p "$OUT"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory site >/dev/null 2>&1 & SERVER=$!
trap 'kill $SERVER' EXIT
sleep 1
for page in "${PAGES[@]}"; do
  name=$(echo "${page:-index}" | sed 's#/$##; s#[/]#_#g')
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
    --window-size=1280,${HEIGHT:-2400} --screenshot="$OUT/$name.png" "http://127.0.0.1:$PORT/$page" 2>/dev/null
  echo "$OUT/$name.png"
done
