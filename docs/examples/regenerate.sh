#!/usr/bin/env bash
# Regenerates docs/examples/bundle/: the second of two real collections of the fake account,
# with the edits listed in docs/evidence-format.md (section 16) made in between, so that its
# changes.json has content. Run from the repository root: bash docs/examples/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --locked --quiet --bin iru-fivetran --example fake_server
bin=target/debug/iru-fivetran
export FIVETRAN_API_KEY=fake-key FIVETRAN_API_SECRET=fake-secret

serve() {
  target/debug/examples/fake_server "$1" > "$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do grep -q http "$work/server.log" && break; sleep 0.1; done
  url=$(grep -o 'http://[^ ]*' "$work/server.log")
}
collect() {
  # The fixture's syncs are from late August 2026; reach back as far as --since allows.
  "$bin" collect -q --api-url "$url" --out "$work/evidence" --rate 100 --since 92d
}

serve fixtures/accounts/acme.json
collect > /dev/null
kill "$server"; wait "$server" 2>/dev/null || true

python3 - fixtures/accounts/acme.json "$work/acme-edited.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
by_id = lambda items, i: next(x for x in items if x.get("id") == i)
by_id(a["users"], "amber_quartz")["role"] = "Account Administrator"
a["user_groups"].setdefault("silent_orbit", []).append(
    {"id": "warm_harbor", "role": "Destination Analyst", "created_at": "2026-11-26T16:04:11.583Z"})
for item in (by_id(a["connections"], "crimson_atlas"), a["connection_details"]["crimson_atlas"]):
    item["paused"] = True
    item.setdefault("status", {})["sync_state"] = "paused"
column = (a["connection_schemas"]["fervent_ledger"]["schemas"]["public"]["tables"]["customers"]
          ["columns"]["date_of_birth"])
column["enabled"] = True
column["hashed"] = True
a["webhooks"] = [w for w in a["webhooks"] if w["id"] != "rapid_sparrow"]
json.dump(a, open(sys.argv[2], "w"), indent=2)
PY

serve "$work/acme-edited.json"
second=$(collect)

rm -rf docs/examples/bundle
cp -r "$second" docs/examples/bundle
chmod 755 docs/examples/bundle
chmod 644 docs/examples/bundle/*
(cd docs/examples/bundle && sha256sum -c --quiet SHA256SUMS)
if grep -rq PLANTED docs/examples/bundle; then
  echo "a planted secret reached the example bundle" >&2
  exit 1
fi
echo "docs/examples/bundle <- $(basename "$second")"

# The report of that bundle: committed snapshots (tests/it/report.rs compares them), and the
# README's pictures where Chromium is installed.
target/debug/iru-fivetran report docs/examples/bundle --format md --out docs/examples/report.md --quiet
target/debug/iru-fivetran report docs/examples/bundle --out docs/examples/report.html --quiet
chmod 644 docs/examples/report.md docs/examples/report.html
if [ -x "${IRU_FIVETRAN_CHROMIUM:-/usr/bin/chromium}" ] && command -v pdftoppm >/dev/null; then
  bash docs/examples/screenshot.sh
else
  echo "note: no chromium or pdftoppm; docs/examples/report*.png not retaken (docs/examples/screenshot.sh)"
fi
