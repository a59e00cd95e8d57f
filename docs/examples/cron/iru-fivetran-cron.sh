#!/usr/bin/env bash
# iru-fivetran-cron.sh: collect a Fivetran evidence bundle from cron, keep the last N.
#
# Silent when the run is complete (exit 0), so cron mails only when something needs a look.
# Exits with collect's own code (0 complete, 3 partial, 1 failed, 2 usage); a pruning problem
# turns a 0 into 1, with the reason on stderr.
#
# Crontab line (daily at 02:15; extra arguments go to `collect`, e.g. --archive):
#
#   15 2 * * * IRU_FIVETRAN_OUT_DIR=/srv/evidence IRU_FIVETRAN_KEEP=30 /usr/local/bin/iru-fivetran-cron.sh
#
# Settings (environment):
#   IRU_FIVETRAN_OUT_DIR           where bundles go          (default /srv/evidence)
#   IRU_FIVETRAN_CREDENTIALS_FILE  the vault file, chmod 600 (default /etc/iru-fivetran/fivetran.toml)
#   IRU_FIVETRAN_KEEP              bundles of the account kept, the new one included (default 30)
#   IRU_FIVETRAN_BIN               the binary                (default iru-fivetran on PATH)
#
# Pruning: after a complete or partial run, only the newest KEEP bundles of that account are
# kept; an older bundle's archive (<bundle>.tar.gz) goes with it. `<bundle>.failed`
# directories are never deleted by this script: each holds the evidence of a failed run, its
# path is logged when that run fails, and they stay until a person has read and removed them.
# A failed run prunes nothing. Other accounts' bundles and unrelated files are not touched.
set -eu
set -o pipefail
shopt -s nullglob

out_dir=${IRU_FIVETRAN_OUT_DIR:-/srv/evidence}
credentials=${IRU_FIVETRAN_CREDENTIALS_FILE:-/etc/iru-fivetran/fivetran.toml}
keep=${IRU_FIVETRAN_KEEP:-30}
bin=${IRU_FIVETRAN_BIN:-iru-fivetran}

log() { printf 'iru-fivetran-cron: %s\n' "$*" >&2; }

case $keep in
  '' | *[!0-9]* | 0)
    log "IRU_FIVETRAN_KEEP must be a whole number of at least 1, not '$keep'"
    exit 2
    ;;
esac

# The names of the `.failed` directories under the out dir, one a line.
failed_dirs() {
  local d
  for d in "$out_dir"/fivetran-*.failed; do
    if [ -d "$d" ]; then printf '%s\n' "${d##*/}"; fi
  done
}

# A bundle's time stamp and collision suffix (`-2`, ...) after `fivetran-<account>-`.
stamp_re='^[0-9]{8}T[0-9]{6}Z(-([0-9]+))?$'

# Deletes all but the newest $keep bundles named "$1-<stamp>[-N]" (with their archives),
# never "$2", the bundle this run wrote. Returns 1 if something could not be removed.
prune() {
  local prefix=$1 current=$2 entry name rest status=0 n=0
  local -a keys=()
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
  while read -r _ _ name; do
    n=$((n + 1))
    if [ "$n" -le "$keep" ] || [ "$name" = "$current" ]; then continue; fi
    for entry in "$out_dir/$name" "$out_dir/$name.tar.gz"; do
      if [ -e "$entry" ]; then
        rm -rf -- "$entry" || { log "cannot remove $entry"; status=1; }
      fi
    done
  done < <(printf '%s\n' "${keys[@]}" | LC_ALL=C sort -r -u)
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
