#!/usr/bin/env bash
# iru-fivetran-cron.sh: collect a Fivetran evidence bundle from cron, keep 13 months of them.
#
# Silent when the run is complete (exit 0), so cron mails only when something needs a look.
# A list this key is not meant to read (a system key without webhook access) is not something
# to look at every morning: pass `--skip webhooks` once in the crontab line, and the run stays
# complete with the choice recorded in each manifest (options.skip).
# Exits with collect's own code (0 complete, 3 partial, 1 failed, 2 usage); a pruning problem
# turns a 0 into 1, with the reason on stderr.
#
# Crontab line (daily at 02:15; extra arguments go to `collect`, e.g. --archive):
#
#   15 2 * * * IRU_FIVETRAN_OUT_DIR=/srv/evidence /usr/local/bin/iru-fivetran-cron.sh
#
# Settings (environment):
#   IRU_FIVETRAN_OUT_DIR           where bundles go          (default /srv/evidence)
#   IRU_FIVETRAN_CREDENTIALS_FILE  the vault file, chmod 600 (default /etc/iru-fivetran/fivetran.toml)
#   IRU_FIVETRAN_KEEP_MONTHS       months of bundles kept    (default 13)
#   IRU_FIVETRAN_KEEP              keep this many bundles instead, whatever their age (unset)
#   IRU_FIVETRAN_BIN               the binary                (default iru-fivetran on PATH)
#
# Why 13 months: a SOC 2 Type II report covers a period of 6 to 12 months, and the auditor asks
# for evidence from across it, often some weeks after it ends; ISO 27001 surveillance audits
# come once a year. Each bundle's changes.json compares it with the one before, so deleting old
# bundles deletes the change history of the period. Keep more if your period or your auditor
# asks for more; keep fewer only knowingly (IRU_FIVETRAN_KEEP).
#
# Pruning: after a complete or partial run, the bundles of that account whose run started more
# than KEEP_MONTHS ago (or, with IRU_FIVETRAN_KEEP, all but the newest KEEP) are deleted, each
# with its archive (<bundle>.tar.gz), except:
#   - the bundle this run wrote;
#   - every bundle that the changes.json of a kept bundle compares against (its `baseline`),
#     so no kept change log loses the bundle its changes are counted from;
#   - `<bundle>.failed` directories: each holds the evidence of a failed run, its path is logged
#     when that run fails, and they stay until a person has read and removed them.
# A failed run prunes nothing. Other accounts' bundles and unrelated files are not touched.
set -eu
set -o pipefail
shopt -s nullglob

out_dir=${IRU_FIVETRAN_OUT_DIR:-/srv/evidence}
credentials=${IRU_FIVETRAN_CREDENTIALS_FILE:-/etc/iru-fivetran/fivetran.toml}
keep_months=${IRU_FIVETRAN_KEEP_MONTHS:-13}
keep=${IRU_FIVETRAN_KEEP-}
bin=${IRU_FIVETRAN_BIN:-iru-fivetran}

log() { printf 'iru-fivetran-cron: %s\n' "$*" >&2; }

if [ -n "${IRU_FIVETRAN_KEEP+set}" ]; then
  case $keep in
    '' | *[!0-9]* | 0)
      log "IRU_FIVETRAN_KEEP must be a whole number of at least 1, not '$keep'"
      exit 2
      ;;
  esac
  cutoff=
else
  case $keep_months in
    '' | *[!0-9]* | 0)
      log "IRU_FIVETRAN_KEEP_MONTHS must be a whole number of at least 1, not '$keep_months'"
      exit 2
      ;;
  esac
  # The oldest run start kept, as a bundle stamp (GNU date, else BSD date).
  cutoff=$(date -u -d "-$keep_months months" +%Y%m%dT%H%M%SZ 2>/dev/null ||
    date -u -v-"$keep_months"m +%Y%m%dT%H%M%SZ 2>/dev/null) || {
    log "cannot compute the date $keep_months months ago with this system's date; set IRU_FIVETRAN_KEEP to keep a number of bundles instead"
    exit 2
  }
fi

# The names of the `.failed` directories under the out dir, one a line.
failed_dirs() {
  local d
  for d in "$out_dir"/fivetran-*.failed; do
    if [ -d "$d" ]; then printf '%s\n' "${d##*/}"; fi
  done
}

# A bundle's time stamp and collision suffix (`-2`, ...) after `fivetran-<account>-`.
stamp_re='^[0-9]{8}T[0-9]{6}Z(-([0-9]+))?$'

# The bundle a bundle's changes.json compares against (its `baseline.bundle_id`), if any.
# changes.json is canonical JSON (docs/evidence-format.md): two-space indent, sorted keys, so
# the baseline object's `bundle_id` is the line "    "bundle_id": "..."," inside "  "baseline": {".
baseline_of() {
  local changes=$out_dir/$1/changes.json
  [ -f "$changes" ] || return 0
  sed -n '/^  "baseline": {$/,/^  }/s/^    "bundle_id": "\([A-Za-z0-9_.-]*\)",\{0,1\}$/\1/p' "$changes"
}

# Deletes the bundles named "$1-<stamp>[-N]" (with their archives) that the retention rule
# does not keep: older than $cutoff, or (with $keep) beyond the newest $keep; never "$2", the
# bundle this run wrote, nor the baseline of a kept bundle. Returns 1 if something could not
# be removed.
prune() {
  local prefix=$1 current=$2 entry name rest status=0 n=0 stamp
  local -a keys=() kept=() gone=()
  for entry in "$out_dir/$prefix"-*; do
    name=${entry##*/}
    if [ -d "$entry" ]; then
      :
    elif [ -f "$entry" ] && [[ $name == *.tar.gz ]]; then
      name=${name%.tar.gz}
    else
      continue
    fi
    rest=${name#"$prefix"-}
    # Skips `.failed` dirs and other accounts whose id starts like this one's.
    if [[ $rest =~ $stamp_re ]]; then
      # Sort key: stamp, then the suffix as a number (so -10 sorts after -9).
      keys+=("${rest:0:16} $(printf '%06d' "$((10#${BASH_REMATCH[2]:-1}))") $name")
    fi
  done
  [ ${#keys[@]} -gt 0 ] || return 0
  while read -r stamp _ name; do
    n=$((n + 1))
    if [ "$name" = "$current" ]; then
      kept+=("$name")
    elif [ -n "$keep" ] && [ "$n" -le "$keep" ]; then
      kept+=("$name")
    elif [ -z "$keep" ] && [[ ! $stamp < $cutoff ]]; then
      kept+=("$name")
    else
      gone+=("$name")
    fi
  done < <(printf '%s\n' "${keys[@]}" | LC_ALL=C sort -r -u)
  # What the kept change logs were counted from stays (one name a line).
  local baselines=
  for name in ${kept[@]+"${kept[@]}"}; do
    baselines+=$(baseline_of "$name")$'\n'
  done
  for name in ${gone[@]+"${gone[@]}"}; do
    if grep -qxF -- "$name" <<<"$baselines"; then continue; fi
    for entry in "$out_dir/$name" "$out_dir/$name.tar.gz"; do
      if [ -e "$entry" ]; then
        rm -rf -- "$entry" || { log "cannot remove $entry"; status=1; }
      fi
    done
  done
  return "$status"
}

failed_before=$(failed_dirs)
code=0
bundle=$("$bin" collect -q --credentials-file "$credentials" --out "$out_dir" "$@") || code=$?

case $code in
  0 | 3)
    name=${bundle##*/}
    if [[ ! $name =~ ^(fivetran-[A-Za-z0-9_-]+)-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$ ]]; then
      log "collect printed '$bundle', not a bundle path; nothing pruned"
      exit 1
    fi
    if [ "$code" -eq 3 ]; then
      log "partial bundle $bundle: its manifest.json names the artifacts not read in full, and why"
    fi
    if ! prune "${BASH_REMATCH[1]}" "$name"; then
      log "pruning under $out_dir failed"
      [ "$code" -ne 0 ] || code=1
    fi
    ;;
  *)
    log "collect exited $code; nothing pruned"
    # The evidence of this failure, if the run got far enough to keep any.
    while read -r name; do
      if [ -n "$name" ] && ! grep -qxF -- "$name" <<<"$failed_before"; then
        log "what this run collected is kept in $out_dir/$name (its manifest.json says why it failed)"
      fi
    done <<<"$(failed_dirs)"
    ;;
esac
exit "$code"
