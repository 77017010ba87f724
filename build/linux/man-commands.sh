#!/usr/bin/env bash
# Writes the COMMANDS and OPTIONS sections of pimtray's manual page, in roff, from the binary's
# own help, so the page lists every command and flag the binary has:
#
#   build/linux/man-commands.sh path/to/pimtray >commands.roff
#
# build/release.sh puts them where build/linux/pimtray.1 says @COMMANDS@.
set -euo pipefail
bin=$1

# roff: backslashes and hyphens escaped, a leading dot or quote defused.
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^[.']/\\\\\\&&/"; }

help=$("$bin" --help </dev/null)
commands=$(awk '/^Available Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on=0}' <<<"$help" | grep -vx help)
[ -n "$commands" ] || { echo "man-commands: '$bin --help' lists no commands" >&2; exit 1; }

# flag_list prints a help text's "Flags:" block (not --help) as roff tagged paragraphs:
# "      --at TIME   start later, at TIME".
flag_list() {
  local flags line name desc
  flags=$(awk '/^Flags:/ {on=1; next} on && /^$/ {exit} on {print}' | grep -vE -- '--help( |$)' || true)
  [ -n "$flags" ] || return 0
  while IFS= read -r line; do
    name=$(sed -E 's/^ +//; s/ {2,}.*$//' <<<"$line")
    desc=$(sed -E 's/^ +//; s/^[^ ]+( [^ ]+)? {2,}//' <<<"$line")
    [ "$desc" = "$line" ] && desc=""
    echo ".TP"
    printf '.B "%s"\n' "$(roff <<<"$name")"
    roff <<<"$desc"
  done <<<"$flags"
}

echo ".SH COMMANDS"
for c in $commands; do
  short=$(awk -v c="$c" '/^Available Commands:/ {on=1; next} on && $1 == c {$1=""; sub(/^ +/, ""); print; exit}' <<<"$help")
  sub=$("$bin" "$c" --help </dev/null)
  usage=$(awk '/^Usage:/ {getline; sub(/^ +/, ""); sub(/ \[flags\]$/, ""); print; exit}' <<<"$sub")
  echo ".TP"
  printf '.B "%s"\n' "$(roff <<<"$usage")"
  roff <<<"${short^}."
  flags=$(flag_list <<<"$sub")
  if [ -n "$flags" ]; then
    printf '.RS\n%s\n.RE\n' "$flags"
  fi
done

echo ".SH OPTIONS"
echo "These go before the command, or with it."
flag_list <<<"$help"
