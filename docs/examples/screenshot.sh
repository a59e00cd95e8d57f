#!/usr/bin/env bash
# Takes the README's pictures of the report of docs/examples/bundle (the acme fixture account):
#   docs/examples/report.png        the page's first screen, as headless Chromium shows it
#   docs/examples/report-print.png  the access review as printed to PDF (A4), page image
# Needs Debian's chromium and poppler-utils (pdftoppm, pdftotext). Run from anywhere:
#   bash docs/examples/screenshot.sh
# The same browser flags as tests/it/report_browser.rs: as root there is no sandbox, and the
# background services would only try a network that is not there.
set -euo pipefail
cd "$(dirname "$0")/../.."

chromium=${IRU_FIVETRAN_CHROMIUM:-/usr/bin/chromium}
for tool in "$chromium" pdftoppm pdftotext; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install chromium poppler-utils)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --locked --quiet --bin iru-fivetran
target/debug/iru-fivetran report docs/examples/bundle --out "$work/report.html" --quiet

headless() {
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" "$@" "file://$work/report.html" 2>/dev/null
}

headless --screenshot="$work/report.png" --window-size=1280,1500
headless --print-to-pdf="$work/report.pdf" --no-pdf-header-footer

# The first PDF page that starts the access review (each section starts a page).
pages=$(pdftotext "$work/report.pdf" - | grep -c $'\f' || true)
page=
for n in $(seq 1 "$pages"); do
  if pdftotext -f "$n" -l "$n" "$work/report.pdf" - | head -3 | grep -q '^Access review$'; then
    page=$n
    break
  fi
done
[ -n "$page" ] || { echo "no page starts with 'Access review'" >&2; exit 1; }
pdftoppm -f "$page" -l "$page" -r 80 -png -singlefile "$work/report.pdf" "$work/report-print"

cp "$work/report.png" docs/examples/report.png
cp "$work/report-print.png" docs/examples/report-print.png
echo "docs/examples/report.png, docs/examples/report-print.png (PDF page $page of $pages)"
