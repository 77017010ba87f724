#!/usr/bin/env bash
# Takes the README's screenshots of pimtray, from the demo, on a real Linux desktop made
# up under Xvfb: a real StatusNotifierItem host (xfce4-panel's status tray, which draws the
# tray's dbusmenu with GTK) and a real notification daemon (xfce4-notifyd, which draws a
# notification's actions as buttons; dunst only lists them in a context menu).
#
#   build/screenshots.sh            # writes assets/screenshots/tray-menu.png, approvals-menu.png,
#                                   # approval.png, reminder.png, and at 440 roles (the large
#                                   # fake tenant, a -tags benchlarge build) tray-menu-440.png
#                                   # and find-a-role-440.png; and recent-activity.png
#   OUT=/some/dir build/screenshots.sh
#
# It takes about a minute and a half: the reminder comes a minute after the activation.
# Everything runs on its own X display and private D-Bus session bus, with HOME and the XDG
# folders in a temporary folder: the user's real pimtray data, keyring and desktop are never
# touched. Missing tools are installed with apt-get (Debian 12; needs root or sudo).
# Rerunning gives the same pictures, with the clock times of the day.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUT:-$repo/assets/screenshots}
width=1280 height=800 panel_size=32

log() { printf 'screenshots: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# --- tools ------------------------------------------------------------------------------
need_pkgs=()
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2")
}
need Xvfb xvfb
need dbus-daemon dbus-daemon
need dbus-send dbus-bin
need gnome-keyring-daemon gnome-keyring
need xfce4-panel xfce4-panel
need xdotool xdotool
need import imagemagick
need dbus-monitor dbus-bin
need optipng optipng
need zenity zenity
compgen -G '/usr/lib/*/xfce4/notifyd/xfce4-notifyd' >/dev/null || need_pkgs+=(xfce4-notifyd)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need_pkgs+=(fonts-dejavu-core)
# `import` must be ImageMagick's: on some machines /usr/bin/convert is a stand-in.
if command -v convert >/dev/null 2>&1 && ! convert -version 2>/dev/null | grep -q ImageMagick; then
	need_pkgs+=(imagemagick)
fi
if ((${#need_pkgs[@]})); then
	log "installing ${need_pkgs[*]}"
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
xfconfd=$(compgen -G '/usr/lib/*/xfce4/xfconf/xfconfd' | head -n1 || true)
notifyd=$(compgen -G '/usr/lib/*/xfce4/notifyd/xfce4-notifyd' | head -n1 || true)
[[ -x $xfconfd ]] || die "xfconfd not found (package xfconf)"
[[ -x $notifyd ]] || die "xfce4-notifyd not found (package xfce4-notifyd)"

# --- a throwaway home, torn down on exit ------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pimtray-screenshots.XXXXXX")
pids=()
cleanup() {
	local status=$?
	set +e
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	if ((status != 0)) && [[ -d $tmp ]]; then
		log "failed; logs follow"
		for f in "$tmp"/log/*; do
			[[ -s $f ]] && { echo "--- $f"; tail -n 20 "$f"; } >&2
		done
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Built before HOME moves, so Go's own caches are the user's.
log "building pimtray"
(cd "$repo" && go build -o "$tmp/pimtray" .)
# The same tray serving the large fake tenant as its demo (internal/app/demotenant_large.go),
# for the pictures at 440 roles; built here, before HOME moves (Go's caches live under it).
(cd "$repo" && go build -tags benchlarge -o "$tmp/pimtray-large" .)

mkdir -p "$tmp/home" "$tmp/log" "$tmp/shots" "$tmp/run"
chmod 700 "$tmp/run"
export HOME=$tmp/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_STATE_HOME=$HOME/.local/state
export XDG_CACHE_HOME=$HOME/.cache XDG_RUNTIME_DIR=$tmp/run
export XDG_CURRENT_DESKTOP=XFCE LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=${TZ:-UTC}
export NO_AT_BRIDGE=1 GTK_A11Y=none # no accessibility bus to look for
unset DBUS_SESSION_BUS_ADDRESS SESSION_MANAGER DESKTOP_AUTOSTART_ID WAYLAND_DISPLAY

# wait_until SECONDS COMMAND...: retries COMMAND every 0.1 s; fails when time is up.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}
# wait_for SECONDS DESCRIPTION COMMAND...: the same, giving up the whole run when time is up.
wait_for() {
	local secs=$1 what=$2
	shift 2
	wait_until "$secs" "$@" || die "timed out waiting for $what"
}

# --- X display and session bus ----------------------------------------------------------
Xvfb -displayfd 3 -screen 0 "${width}x${height}x24" -nolisten tcp -noreset \
	3>"$tmp/display" >"$tmp/log/xvfb" 2>&1 &
pids+=($!)
wait_for 10 "Xvfb" test -s "$tmp/display"
DISPLAY=:$(<"$tmp/display")
export DISPLAY
log "X display $DISPLAY"
# A quiet wallpaper, so the pictures' margins look like a desktop rather than a void.
convert -size "${width}x${height}" gradient:'#5a7894'-'#22303f' "$tmp/wallpaper.png"
display -window root "$tmp/wallpaper.png" || true # it paints, then reports the window gone

# Like the stock session bus, but with no service activation: nothing starts behind our back.
cat >"$tmp/session-bus.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
{ read -r DBUS_SESSION_BUS_ADDRESS && read -r bus_pid; } < <(
	dbus-daemon --config-file="$tmp/session-bus.conf" --fork --print-address=1 --print-pid=1
)
export DBUS_SESSION_BUS_ADDRESS
pids+=("$bus_pid")

has_owner() {
	dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner "string:$1" | grep -q true
}

# A real keyring, so the demo's sign-in is kept the normal way (without one the menu adds a
# "Sign-in not remembered" line).
printf 'screenshots' | gnome-keyring-daemon --foreground --unlock --components=secrets \
	>"$tmp/log/keyring" 2>&1 &
pids+=($!)
wait_for 10 "gnome-keyring" has_owner org.freedesktop.secrets

# --- the desktop: xfconf, the panel with its status tray, the notification daemon -------
chan=$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml
mkdir -p "$chan"
# One dark panel along the bottom: an expanding gap, then the status tray (the
# StatusNotifierItem host). At the bottom it leaves the top right corner to the
# notifications (with no window manager, nobody tells xfce4-notifyd where a panel is). A
# clock, which agrees with the demo's times since the demo runs at the real speed.
cat >"$chan/xfce4-panel.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="dark-mode" type="bool" value="true"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=8;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="$panel_size"/>
      <property name="icon-size" type="uint" value="0"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
    <property name="plugin-3" type="string" value="clock">
      <property name="mode" type="uint" value="2"/>
      <property name="digital-format" type="string" value="%H:%M"/>
    </property>
  </property>
</channel>
EOF
cat >"$chan/xsettings.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xsettings" version="1.0">
  <property name="Gtk" type="empty">
    <property name="FontName" type="string" value="DejaVu Sans 10"/>
  </property>
</channel>
EOF
"$xfconfd" >"$tmp/log/xfconfd" 2>&1 &
pids+=($!)
wait_for 10 "xfconfd" has_owner org.xfce.Xfconf

xfce4-panel --disable-wm-check --sm-client-disable >"$tmp/log/panel" 2>&1 &
pids+=($!)
wait_for 20 "the panel's status tray" has_owner org.kde.StatusNotifierWatcher

"$notifyd" >"$tmp/log/notifyd" 2>&1 &
pids+=($!)
wait_for 10 "xfce4-notifyd" has_owner org.freedesktop.Notifications
# The notifications sent, to know the reminder's is the one on screen.
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" \
	>"$tmp/log/notify-calls" 2>&1 &
pids+=($!)

# --- the demo ---------------------------------------------------------------------------
# The command line runs without a keyring (a bus address that leads nowhere): with one, the
# demo keeps its sign-in, and a later process, whose demo tenant listens on another port,
# can't use it ("sign in needed"). Without one, each process signs in to the demo afresh,
# and only the tray, which the picture shows, keeps its sign-in in the keyring.
pt() { DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/no-bus "$tmp/pimtray" --demo "$@"; }
log "activating demo roles from the command line"
pt activate "Global Administrator" --reason "screenshot" --for 16m >"$tmp/log/cli" 2>&1
# Owner on IT for 7h 42m: it reads like a countdown that has been running for a while.
pt activate "Owner" --scope IT --reason "screenshot" --for 7h42m >>"$tmp/log/cli" 2>&1

# The tray shares the CLI's demo state (same HOME) and runs at the real speed, so the
# countdowns in the picture read as they would on a desk. The 16-minute activation's "ends
# in 15 minutes" reminder comes a minute after it started, after the menu's picture is taken.
"$tmp/pimtray" --demo >"$tmp/log/tray" 2>&1 &
pids+=($!)
tray_pid=$!
tray_registered() {
	dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
		org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher \
		string:RegisteredStatusNotifierItems | grep -q StatusNotifierItem
}
wait_for 20 "pimtray's tray icon" tray_registered
wait_for 10 "the status tray's window" xdotool search --onlyvisible --name '^wrapper-2.0$'
sleep 1.5 # the tray's first refresh, and the panel draws the icon

# --- pictures ---------------------------------------------------------------------------
# windows NAME MIN_HEIGHT: "x y w h" of every mapped window named NAME, at least MIN_HEIGHT
# tall, above the panel. The tray menus are named after the process that draws them (the
# status tray runs in the panel's plugin wrapper); the notifications are xfce4-notifyd's.
windows() {
	local win x y w h
	for win in $(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null); do
		read -r x y w h < <(geometry "$win") || continue
		if ((w > 40 && h >= $2 && y >= 0 && y < height - panel_size - 1)); then
			echo "$x $y $w $h"
		fi
	done | sort -u
}
# geometry WINDOW: its "x y w h".
geometry() {
	xdotool getwindowgeometry --shell "$1" 2>/dev/null |
		awk -F= '{v[$1]=$2} END {if ("X" in v) print v["X"], v["Y"], v["WIDTH"], v["HEIGHT"]}'
}
menus() { windows wrapper-2.0 41; }
menus_are() { [[ $(menus | wc -l) -eq $1 ]]; }
# An empty menu (the host drew a submenu without its items) is a thin window.
no_empty_menus() { [[ -z $(comm -23 <(windows wrapper-2.0 2) <(menus)) ]]; }
notifications() { windows xfce4-notifyd 41; }
has_notification() { [[ -n $(notifications) ]]; }
has_notifications() { [[ $(notifications | wc -l) -ge $1 ]]; }
no_notification() { [[ -z $(notifications) ]]; }

capture() { import -window root "$tmp/shots/screen.png"; }

# crop_to OUT MARGIN BOXES: the last capture, cropped to the bounding box of BOXES (lines
# of "x y w h") plus MARGIN pixels, stretched to the screen's right edge and, when the
# panel is near, down over it, so the tray icon shows too.
crop_to() {
	local out=$1 margin=$2 x0=$width y0=$height x1=0 y1=0 x y w h
	while read -r x y w h; do
		x0=$((x < x0 ? x : x0)) y0=$((y < y0 ? y : y0))
		x1=$((x + w > x1 ? x + w : x1)) y1=$((y + h > y1 ? y + h : y1))
	done <<<"$3"
	((x1 > 0)) || die "nothing to crop: no window on screen"
	x0=$((x0 > margin ? x0 - margin : 0))
	y0=$((y0 > margin ? y0 - margin : 0))
	x1=$width
	y1=$((y1 + margin))
	((y1 < height - panel_size - 2 * margin)) || y1=$height
	convert "$tmp/shots/screen.png" -crop "$((x1 - x0))x$((y1 - y0))+$x0+$y0" +repage -strip "$out"
}

# The tray icon: the status tray runs as the panel's external plugin, in a window of its own.
read -r x y w h < <(geometry "$(xdotool search --onlyvisible --name '^wrapper-2.0$' | head -n1)")
icon_x=$((x + w / 2)) icon_y=$((y + h / 2))

# The menu with "All eligible roles" open. The keyboard walks the menu whatever the font:
# past the demo's two requests waiting for approval, the three favourites, "Activate all
# favourites", "Activate at…", "Start my day" and "Find a role…" to "All eligible roles",
# which GTK opens once selected (open_menu 10); with 1,
# the first waiting request's submenu (Approve…, Deny…, the requester's reason and ticket).
# (The menu is never deeper than two levels: fyne.io/systray v1.12.2 hands libdbusmenu-gtk
# hosts a third level's items before their parents exist, and they draw it empty.)
open_menu() {
	local downs=() i
	for ((i = 0; i < $1; i++)); do downs+=("${2:-Down}"); done
	xdotool mousemove "$icon_x" "$icon_y" click 1
	wait_until 5 menus_are 1 || return 1
	xdotool mousemove 1 1 # no tooltip over the menu, no item under the pointer
	xdotool key --delay 120 "${downs[@]}"
	wait_until 3 menus_are 2 || return 1
	# Let the submenus settle: GTK opens the selected item's submenu after a short delay.
	local last="" now _
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.4
		now=$(menus)
		[[ $now == "$last" ]] && break
		last=$now
	done
	no_empty_menus
}
close_menu() {
	local _
	for _ in 1 2 3 4 5; do
		menus_are 0 && no_empty_menus && return 0
		xdotool key Escape
		sleep 0.2
	done
	wait_for 3 "the menu to close" menus_are 0
}

# The demo's two requests waiting for approval, each announced with Approve and Deny buttons.
mkdir -p "$out"
log "waiting for the approval notifications"
wait_for 20 "the approval notifications" has_notifications 2
sleep 1 # xfce4-notifyd fades in
capture
crop_to "$out/approval.png" 12 "$(notifications)"
# A click on a notification's text closes it (pimtray offers no default action), so the
# reminder is alone on screen later.
for _ in 1 2 3; do
	while read -r x y w h; do
		xdotool mousemove "$((x + w / 2))" "$((y + 12))" click 1
		sleep 0.3
	done < <(notifications)
	has_notification || break
done
xdotool mousemove 1 1
wait_for 10 "the approval notifications to close" no_notification

# A refresh that changes the menu's shape rebuilds it and closes open submenus: a try that a
# rebuild interrupted is done again.
# picture_menu OUT DOWNS: the menu with the item DOWNS steps down open.
picture_menu() {
	local try before
	for try in 1 2 3 4 5 6; do
		if open_menu "$2" "${3:-Down}"; then
			before=$(menus)
			capture
			if [[ $(menus) == "$before" ]] && no_empty_menus; then
				crop_to "$1" 12 "$before"
				close_menu
				return 0
			fi
		fi
		((try < 6)) || die "could not picture the open menu"
		log "no settled menu to picture (try $try); again"
		close_menu
	done
}
# tray_name: the tray's bus name, as it registered ("org.kde.StatusNotifierItem-PID-1").
tray_name() {
	dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
		org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher \
		string:RegisteredStatusNotifierItems | grep -o '"[^"]*"' | tr -d '"' | sed 's|/.*||' | tail -n1
}
# menu_items: the top level's entries a keyboard reaches (enabled, visible, not separators),
# one "ID<tab>LABEL" a line, in order, read over D-Bus (com.canonical.dbusmenu GetLayout).
menu_items() {
	dbus-send --session --print-reply --dest="$(tray_name)" /StatusNotifierItem/menu \
		com.canonical.dbusmenu.GetLayout int32:0 int32:1 array:string: | awk '
		function flush() { if (id != "" && !off && !sep && !hidden) printf "%s\t%s\n", id, label }
		/struct \{/ { instruct = 1; next }
		instruct && $1 == "int32" { if ($2 != "0") { flush(); id = $2; label = ""; off = sep = hidden = 0 } instruct = 0; next }
		{ instruct = 0 }
		/string "label"/ { getline; v = $0; sub(/^[^"]*"/, "", v); sub(/"[^"]*$/, "", v); label = v }
		/string "enabled"/ { getline; if ($0 ~ /false/) off = 1 }
		/string "visible"/ { getline; if ($0 ~ /false/) hidden = 1 }
		/string "type"/ { getline; if ($0 ~ /separator/) sep = 1 }
		END { flush() }'
}
# downs_to PREFIX: how many Down keys select the first top-level entry whose label starts so.
downs_to() { menu_items | awk -F'\t' -v p="$1" 'index($2, p) == 1 { print NR; exit }'; }
# item_id PREFIX: that entry's dbusmenu id.
item_id() { menu_items | awk -F'\t' -v p="$1" 'index($2, p) == 1 { print $1; exit }'; }
# click_item PREFIX: a click on it, as the tray host sends one.
click_item() {
	dbus-send --session --print-reply --dest="$(tray_name)" /StatusNotifierItem/menu com.canonical.dbusmenu.Event \
		"int32:$(item_id "$1")" string:clicked variant:string: uint32:0 >/dev/null
}

log "opening the tray menu"
n=$(downs_to "All eligible roles")
[[ -n $n ]] || die "no All eligible roles in the menu: $(menu_items)"
picture_menu "$out/tray-menu.png" "$n"
picture_menu "$out/approvals-menu.png" 1

log "waiting for the reminder"
wait_for 120 "the reminder" grep -q 'ends in 15 minutes' "$tmp/log/notify-calls"
wait_for 10 "the reminder on screen" has_notification
sleep 1 # xfce4-notifyd fades in
[[ $(grep -c 'member=Notify' "$tmp/log/notify-calls") -eq 3 && $(notifications | wc -l) -eq 1 ]] ||
	die "expected the reminder alone on screen; the tray sent: $(grep -A4 'member=Notify' "$tmp/log/notify-calls")"
capture
crop_to "$out/reminder.png" 12 "$(notifications)"

# Recent activity: read only on its own click ("Show recent activity"), then pictured open.
# Its one line makes a submenu too short for menus(), so the first walk to it is done blind.
for _ in 1 2 3; do # the reminder goes first: a click on its text closes it
	while read -r x y w h; do
		xdotool mousemove "$((x + w / 2))" "$((y + 12))" click 1
		sleep 0.3
	done < <(notifications)
	has_notification || break
done
xdotool mousemove 1 1
log "reading the recent activity"
n=$(downs_to "Recent activity")
[[ -n $n ]] || die "no Recent activity in the menu: $(menu_items)"
xdotool mousemove "$icon_x" "$icon_y" click 1
wait_until 5 menus_are 1 || die "the menu did not open"
xdotool mousemove 1 1
for ((i = 0; i < n; i++)); do xdotool key Down; sleep 0.12; done
sleep 1 # GTK opens the selected item's submenu after a short delay
xdotool key --delay 150 Right Return
sleep 2 # the tray reads it and rebuilds the menu
close_menu || true
picture_menu "$out/recent-activity.png" "$(downs_to "Recent activity")"

# --- the same tray at 440 roles over 200 scopes ------------------------------------------
# A benchmark build serves the large fake tenant as its demo (internal/app/demotenant_large.go;
# no released binary is built so), with folders of its own.
log "the menu and Find a role… at 440 roles"
kill "$tray_pid" 2>/dev/null || true
wait "$tray_pid" 2>/dev/null || true
mkdir -p "$tmp/large"
XDG_CONFIG_HOME=$tmp/large/config XDG_STATE_HOME=$tmp/large/state XDG_CACHE_HOME=$tmp/large/cache \
	XDG_DATA_HOME=$tmp/large/data "$tmp/pimtray-large" --demo >"$tmp/log/tray-large" 2>&1 &
pids+=($!)
large_ready() { [[ -n $(downs_to "Find a role") && -n $(downs_to "Azure roles") ]]; }
wait_for 60 "the large tray's menu" large_ready
sleep 1.5
read -r x y w h < <(geometry "$(xdotool search --onlyvisible --name '^wrapper-2.0$' | head -n1)")
icon_x=$((x + w / 2)) icon_y=$((y + h / 2))
picture_menu "$out/tray-menu-440.png" "$(downs_to "Azure roles")"

click_item "Find a role"
chooser() { windows "Find a role" 100; }
has_chooser() { [[ -n $(chooser) ]]; }
wait_for 20 "the Find a role list" has_chooser
sleep 1
# No window manager here: focus the list by hand, then type into its search (GTK's tree view
# search box: it selects the first row whose role starts so).
win=$(xdotool search --onlyvisible --name '^Find a role$' | head -n1)
read -r x y w h < <(geometry "$win")
xdotool mousemove "$((x + w / 2))" "$((y + 120))" click 1 # a row: the list has the focus
sleep 0.3
xdotool windowfocus --sync "$win" 2>/dev/null || true
xdotool type --delay 80 "Key Vault"
xdotool mousemove 1 1
sleep 1
capture
crop_to "$out/find-a-role-440.png" 12 "$(chooser)"
xdotool key Escape

optipng -quiet -o3 "$out/tray-menu.png" "$out/approvals-menu.png" "$out/approval.png" "$out/reminder.png" \
	"$out/recent-activity.png" "$out/tray-menu-440.png" "$out/find-a-role-440.png"
for f in tray-menu approvals-menu approval reminder recent-activity tray-menu-440 find-a-role-440; do
	log "wrote $out/$f.png ($(stat -c %s "$out/$f.png") bytes)"
done
