#!/usr/bin/env bash
# Builds every release artifact with build/release.sh and checks what the archive check
# (build/check-archives.sh, which release.sh runs) does not:
#
#   build/release-check.sh            (build/test.sh runs it; about a minute once warm)
#
# - the metadata: desktop-file-validate on the desktop entry, appstreamcli validate on the
#   AppStream metainfo, and the manual page covering every command `pimtray --help` lists;
# - that these checks can fail: a broken desktop entry, metainfo file and workflow are each
#   fed to their checker, which must reject them;
# - lintian on each .deb and rpmlint on each .rpm, failing on errors and warnings (the
#   overrides, each with its reason: build/linux/lintian-overrides, build/linux/rpmlint.toml);
#   the .deb and .rpm hold the same program files; the .rpm installed with rpm into a scratch
#   root, verified, run and erased, leaving nothing behind;
# - the winget manifests and the Homebrew cask (build/tools/pkgcheck: the fields their
#   repositories require, checksums against the zips; ruby parses and evaluates the cask);
# - the GitHub workflows, with actionlint and shellcheck (they run only on GitHub: this keeps
#   them correct);
# - the .deb installed with apt and removed again, in a throw-away overlay of this machine's
#   root (a private mount namespace: nothing is written to the real /, even if a step fails):
#   `pimtray --version`, the menu entry, icons, metainfo and manual page in place, then
#   `apt-get remove` and `dpkg --purge` leave no file behind (file lists compared).
#
# Needs the Debian packages lintian, rpmlint, rpm, cpio, desktop-file-utils, appstream, ruby and
# shellcheck (build/test.sh installs them), and root for the install check (skipped otherwise,
# except in CI).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERSION=v0.0.0-ci
export LC_ALL=C.UTF-8

fail=0
say() { printf 'release-check: %s\n' "$*" >&2; }
bad() { say "FAIL: $*"; fail=1; }
die() { say "$*"; exit 1; }

missing=()
for tool in lintian rpmlint rpm2cpio desktop-file-validate appstreamcli dpkg-deb ruby shellcheck; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: apt-get install lintian rpmlint rpm cpio desktop-file-utils appstream ruby shellcheck"

# The rpm and .deb installs need root: sudo without a password will do (GitHub's runners).
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DIST=$WORK/dist

start=$(date +%s) lap=$start
# phase NAME: how long the part before took, for the timing line at the end.
timings=()
phase() { local now; now=$(date +%s); timings+=("$1 $((now - lap))s"); lap=$now; }
VERSION=$VERSION OUT=$DIST build/release.sh >"$WORK/release.log" 2>&1 || {
  cat "$WORK/release.log" >&2
  die "build/release.sh failed"
}
phase "release.sh"
say "build/release.sh made every artifact in ${timings[0]#* }:"
(cd "$DIST" && find . -type f -printf '%s %P\n' | sort -k2 | awk '{printf "  %8.1f KiB  %s\n", $1/1024, $2}') >&2

(cd build/tools && go build -o "$WORK/bin/" ./pkgcheck github.com/rhysd/actionlint/cmd/actionlint)

debs=("$DIST"/pimtray-$VERSION-linux-*.deb)
rpms=("$DIST"/pimtray-$VERSION-linux-*.rpm)
[ -f "${debs[0]}" ] || die "release.sh made no .deb"
[ -f "${rpms[0]}" ] || die "release.sh made no .rpm"
host_deb=$DIST/pimtray-$VERSION-linux-$(dpkg --print-architecture).deb
mkdir -p "$WORK/deb"
dpkg-deb -x "$host_deb" "$WORK/deb"

# --- the metadata, and that its checks can fail -------------------------------------------
desktop=build/linux/pimtray.desktop
metainfo=$WORK/deb/usr/share/metainfo/io.github.pimtray.pimtray.metainfo.xml
desktop-file-validate "$desktop" || bad "$desktop does not validate"
cmp -s "$desktop" "$WORK/deb/usr/share/applications/pimtray.desktop" || bad "the .deb's desktop entry is not $desktop"
appstreamcli validate --no-net "$metainfo" >"$WORK/appstream.log" 2>&1 || { cat "$WORK/appstream.log" >&2; bad "the metainfo file does not validate"; }
grep -q '<release version="[0-9]' "$metainfo" || bad "the metainfo file has no release with this version"

sed '/^Type=/d' "$desktop" >"$WORK/broken.desktop"
if desktop-file-validate "$WORK/broken.desktop" >/dev/null 2>&1; then
  bad "desktop-file-validate accepted a desktop entry without Type="
fi
sed 's|<id>[^<]*</id>|<id></id>|' "$metainfo" >"$WORK/broken.metainfo.xml"
if appstreamcli validate --no-net "$WORK/broken.metainfo.xml" >/dev/null 2>&1; then
  bad "appstreamcli accepted a metainfo file without an id"
fi
mkdir -p "$WORK/broken/.github/workflows"
printf 'on: push\njobs:\n  test:\n    steps:\n      - run: build/test.sh\n' >"$WORK/broken/.github/workflows/broken.yml"
if (cd "$WORK/broken" && "$WORK/bin/actionlint" -shellcheck= -pyflakes= >/dev/null 2>&1); then
  bad "actionlint accepted a job without runs-on"
fi

# The manual page (its commands written from the binary's help) names every command the
# binary lists, and man renders it without a warning.
help=$(timeout 20 "$WORK/deb/usr/bin/pimtray" --help 2>&1 </dev/null || true)
commands=$(awk '/^Available Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on=0}' <<<"$help" | grep -vx help || true)
[ -n "$commands" ] || bad "found no commands in 'pimtray --help'"
page=$(zcat "$WORK/deb/usr/share/man/man1/pimtray.1.gz")
for c in $commands; do
  grep -qF ".B \"pimtray $c" <<<"$page" || bad "the manual page does not describe the command '$c' that 'pimtray --help' lists"
done
! grep -qx '@COMMANDS@' <<<"$page" || bad "the manual page still says @COMMANDS@"
warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$WORK/deb/usr/share/man/man1/pimtray.1.gz" 2>&1 >/dev/null || true)
[ -z "$warnings" ] || bad "man warns about the manual page: $warnings"

phase "tools+metadata"
# --- lintian and rpmlint ----------------------------------------------------------------
for deb in "${debs[@]}"; do
  if lintian --fail-on error,warning --display-info "$deb" >"$WORK/lintian.log" 2>&1; then
    infos=$(grep -vF 'root privileges' "$WORK/lintian.log" | tr '\n' ';' || true)
    say "lintian: $(basename "$deb") is clean${infos:+ (notes: $infos)}"
  else
    cat "$WORK/lintian.log" >&2
    bad "lintian: $(basename "$deb")"
  fi
done

# rpmlint unpacks with rpm2cpio | cpio, and nfpm's RPM payload has absolute names, which GNU
# cpio writes to / (found when an early run put pimtray into /usr/bin). So: a cpio that keeps
# names relative, and rpmlint as nobody, who can't write outside its own folder anyway.
mkdir -p "$WORK/rpmlint/bin"
printf '#!/bin/sh\nexec %s --no-absolute-filenames "$@"\n' "$(command -v cpio)" >"$WORK/rpmlint/bin/cpio"
chmod 0755 "$WORK/rpmlint/bin/cpio" "$WORK"
cp "${rpms[@]}" build/linux/rpmlint.toml "$WORK/rpmlint/"
chmod -R a+rX "$WORK/rpmlint"
as_nobody=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody "$WORK/rpmlint"
  as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
for rpm in "${rpms[@]}"; do
  name=$(basename "$rpm")
  if "${as_nobody[@]}" env HOME="$WORK/rpmlint" TMPDIR="$WORK/rpmlint" PATH="$WORK/rpmlint/bin:$PATH" \
    rpmlint -c "$WORK/rpmlint/rpmlint.toml" "$WORK/rpmlint/$name" >"$WORK/rpmlint.log" 2>&1; then
    say "rpmlint: $name is clean"
  else
    cat "$WORK/rpmlint.log" >&2
    bad "rpmlint: $name"
  fi
done

# The same program files in both formats (the licence and docs sit where each distribution
# wants them).
program_files() { grep -vE '^/usr/share/(doc|licenses|lintian)/' | grep -vE '/$' | sort; }
for deb in "${debs[@]}"; do
  rpm=${deb%.deb}.rpm
  diff <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\.||' | program_files) \
    <(rpm -qlp "$rpm" 2>/dev/null | program_files) >"$WORK/files.diff" ||
    { cat "$WORK/files.diff" >&2; bad "$(basename "$deb") and $(basename "$rpm") hold different files"; }
done

# The .rpm installed with rpm into a scratch root, verified and erased: it must leave no file,
# and no folder but those a distribution's own packages own.
rpmroot=$WORK/rpmroot
host_rpm=${host_deb%.deb}.rpm
mkdir -p "$rpmroot"
if ! "${as_root[@]}" true 2>/dev/null; then
  if [ "${CI:-}" = true ]; then bad "the .rpm install check needs root (or sudo without a password)"; else say "SKIP the .rpm install check: it needs root (or sudo without a password)"; fi
elif "${as_root[@]}" rpm --root "$rpmroot" --initdb 2>/dev/null &&
  "${as_root[@]}" rpm --root "$rpmroot" -i --nodeps "$host_rpm" >"$WORK/rpm.log" 2>&1; then
  printed=$(timeout 20 "$rpmroot/usr/bin/pimtray" --version </dev/null 2>&1) || true
  grep -qF -- "$VERSION" <<<"$printed" || bad "the .rpm's pimtray --version printed '$printed', not $VERSION"
  "${as_root[@]}" rpm --root "$rpmroot" -V pimtray >"$WORK/rpm.log" 2>&1 || { cat "$WORK/rpm.log" >&2; bad "rpm -V pimtray"; }
  "${as_root[@]}" rpm --root "$rpmroot" -e pimtray >"$WORK/rpm.log" 2>&1 || { cat "$WORK/rpm.log" >&2; bad "rpm -e pimtray"; }
  owned_elsewhere='^/(usr|usr/bin|usr/share|usr/share/(applications|metainfo|doc|licenses|man|man/man1|icons|icons/hicolor|icons/hicolor/[0-9]+x[0-9]+|icons/hicolor/[0-9]+x[0-9]+/apps))$'
  left=$(cd "$rpmroot" && find . -mindepth 1 | sed 's|^\.||' | grep -vE '^/(var|root)(/|$)|^/var/lib/rpm' | grep -vE "$owned_elsewhere" || true)
  if [ -n "$left" ]; then
    bad "rpm -e left this behind:"$'\n'"$left"
  else
    say "rpm: installed $(basename "$host_rpm") into a scratch root, verified (rpm -V), ran it, erased it: nothing left behind"
  fi
else
  cat "$WORK/rpm.log" >&2
  bad "rpm -i $(basename "$host_rpm") into a scratch root failed"
fi
"${as_root[@]}" rm -rf "$rpmroot" 2>/dev/null || true

phase "lintian+rpmlint"
# --- winget, Homebrew, workflows ----------------------------------------------------------
"$WORK/bin/pkgcheck" -winget "$DIST/winget" -cask "$DIST/homebrew/Casks/pimtray.rb" -dist "$DIST" >&2 ||
  bad "the winget manifests or the cask"
# Ruby itself reads the cask: its syntax, and what its stanzas evaluate to, through a stub of
# Homebrew's DSL that prints each one.
cask=$DIST/homebrew/Casks/pimtray.rb
ruby -c "$cask" >/dev/null || bad "ruby -c: the cask is not Ruby"
stanzas=$(ruby -e '
  class Stanzas
    def method_missing(name, *args, **kw) = puts("#{name} #{(args + (kw.empty? ? [] : [kw])).join(" ")}")
    def respond_to_missing?(*) = true
    def version(v = nil) = v.nil? ? @version : (puts("version #{v}"); @version = v)
  end
  def cask(token, &block) = (puts "cask #{token}"; Stanzas.new.instance_eval(&block))
  load ARGV[0]' "$cask" 2>&1) || bad "ruby could not evaluate the cask: $stanzas"
for want in "cask pimtray" "version ${VERSION#v}" "app pimtray.app" \
  "url https://github.com/pimtray/pimtray/releases/download/$VERSION/pimtray-$VERSION-macos.zip"; do
  grep -qxF "$want" <<<"$stanzas" || bad "the cask, evaluated by ruby, lacks '$want':"$'\n'"$stanzas"
done
# actionlint runs shellcheck on every run: step.
if "$WORK/bin/actionlint" -color=false .github/workflows/*.yml >"$WORK/actionlint.log" 2>&1; then
  say "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows are clean"
else
  cat "$WORK/actionlint.log" >&2
  bad "actionlint: .github/workflows"
fi

phase "manifests+workflows"
# --- the .deb installed and removed, in an overlay of this machine ------------------------
install_check() {
  local deb=$1 sandbox=$WORK/sandbox
  mkdir -p "$sandbox"
  cp "$deb" "$WORK/pimtray.deb"
  # The script runs in a private mount namespace: the overlay's writes land in a tmpfs that
  # disappears with it, whatever happens.
  cat >"$WORK/sandbox.sh" <<'SANDBOX'
sandbox=$1 deb=$2 version=$3
fail=0
bad() { printf 'release-check: FAIL: %s\n' "$*" >&2; fail=1; }
mount -t tmpfs tmpfs "$sandbox"
mkdir -p "$sandbox/upper" "$sandbox/work" "$sandbox/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$sandbox/upper,workdir=$sandbox/work" "$sandbox/root"
r=$sandbox/root
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/tmp"
cp "$deb" "$r/tmp/pimtray.deb"
in_root() { chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# What the install and removal changed is what the overlay's upper layer holds (the lower
# layer, this machine's /, may change meanwhile: other programs run). Each path there is
# "new" (not on this machine: a file the package added, or left behind), "removed" (a
# whiteout: a file of this machine that went away) or "rewritten" (a file of this machine
# changed, such as a cache a trigger rebuilt). dpkg's and apt's own records and logs change
# with every install and are left out.
bookkeeping='^/var/(lib/dpkg|lib/apt|log|cache/apt|cache/debconf|cache/man|cache/ldconfig)(/|$)|^/(tmp|proc|dev)(/|$)'
changes() {
  (cd "$sandbox/upper" && find . -mindepth 1 | sed 's|^\.||') | grep -vE "$bookkeeping" | sort | while IFS= read -r p; do
    u=$sandbox/upper$p
    if [ -c "$u" ] && [ "$(stat -c %t:%T "$u")" = 0:0 ]; then
      echo "removed $p"
    elif [ ! -e "$p" ] && [ ! -L "$p" ]; then
      echo "new $p"
    elif [ -f "$u" ] && [ ! -L "$u" ]; then
      echo "rewritten $p"
    fi
  done
}

if in_root dpkg-query -W -f='${Status}' pimtray 2>/dev/null | grep -q installed; then
  bad "a pimtray package is already installed here: the install check needs a machine without it"
  exit 1
fi
[ -z "$(changes)" ] || bad "the overlay is not empty before the install"
in_root apt-get install -y -q --no-install-recommends /tmp/pimtray.deb >"$sandbox/apt.log" 2>&1 ||
  { cat "$sandbox/apt.log" >&2; bad "apt-get install ./$(basename "$deb") failed"; exit 1; }
changes >"$sandbox/installed"
# The check sees what the package put in place (so it would see it left behind).
for p in /usr/bin/pimtray /usr/share/applications/pimtray.desktop /usr/share/doc/pimtray/copyright; do
  grep -qxF "new $p" "$sandbox/installed" || bad "the overlay does not show $p as installed"
done

printed=$(in_root timeout 20 pimtray --version </dev/null 2>&1) || bad "pimtray --version failed: $printed"
grep -qF -- "$version" <<<"$printed" || bad "pimtray --version printed '$printed', not $version"
[ "$(in_root sh -c 'command -v pimtray')" = /usr/bin/pimtray ] || bad "pimtray is not /usr/bin/pimtray on PATH"
in_root desktop-file-validate /usr/share/applications/pimtray.desktop || bad "the installed menu entry does not validate"
exec_line=$(grep '^Exec=' "$r/usr/share/applications/pimtray.desktop" | head -1)
[ "$exec_line" = "Exec=pimtray" ] || bad "the menu entry runs '$exec_line'"
for size in 16 22 24 32 48 64 128 256; do
  [ -s "$r/usr/share/icons/hicolor/${size}x$size/apps/pimtray.png" ] || bad "no ${size}px icon in the hicolor theme"
done
in_root appstreamcli validate --no-net /usr/share/metainfo/io.github.pimtray.pimtray.metainfo.xml >/dev/null ||
  bad "the installed metainfo file does not validate"
if in_root sh -c 'command -v man' >/dev/null; then
  [ "$(in_root man -w pimtray 2>/dev/null)" = /usr/share/man/man1/pimtray.1.gz ] || bad "man pimtray does not find the manual page"
fi
installed=$(grep -c '^new ' "$sandbox/installed" || true)

in_root apt-get remove -y -q pimtray >>"$sandbox/apt.log" 2>&1 || { cat "$sandbox/apt.log" >&2; bad "apt-get remove pimtray failed"; }
changes >"$sandbox/after-remove"
in_root dpkg --purge pimtray >>"$sandbox/apt.log" 2>&1 || { cat "$sandbox/apt.log" >&2; bad "dpkg --purge pimtray failed"; }
changes >"$sandbox/after-purge"
for stage in after-remove after-purge; do
  left=$(grep -E '^(new|removed) ' "$sandbox/$stage" || true)
  [ -z "$left" ] || bad "after ${stage#after-}, the install left this behind:"$'\n'"$left"
done
if in_root dpkg-query -W pimtray >/dev/null 2>&1; then bad "dpkg still knows pimtray after the purge"; fi
rewritten=$(sed -n 's/^rewritten //p' "$sandbox/after-purge" | tr '\n' ' ')
if [ "$fail" -eq 0 ]; then
  printf 'release-check: installed %s with apt (%s new paths), ran it, removed and purged it: nothing left behind%s\n' \
    "$(basename "$deb")" "$installed" "${rewritten:+ (caches rebuilt by the system triggers: $rewritten)}" >&2
fi
exit $fail
SANDBOX
  "${as_root[@]}" unshare --mount --propagation private -- \
    bash -euo pipefail "$WORK/sandbox.sh" "$sandbox" "$WORK/pimtray.deb" "$VERSION" </dev/null
}

if ! "${as_root[@]}" unshare --mount true 2>/dev/null; then
  if [ "${CI:-}" = true ]; then
    bad "the install check needs root (or sudo without a password) and mount namespaces (unshare --mount)"
  else
    say "SKIP the .deb install check: it needs root (or sudo without a password) and mount namespaces"
  fi
else
  install_check "$host_deb" || bad "the .deb install check"
fi

phase "install"
say "time: ${timings[*]}"
if [ "$fail" -ne 0 ]; then
  say "some release checks failed"
  exit 1
fi
say "all release checks passed in $(($(date +%s) - start))s"
