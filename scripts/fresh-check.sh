#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fresh-check.sh: prove that the README's commands work on a bare Debian
# bookworm, where only the scripts' own apt-get installs add anything.
#
# Builds a `debootstrap --variant=minbase bookworm` root (Debian mirrors
# read from this machine's apt sources), clones the committed repository
# into it, installs what the README tells a new user to install (git and
# make: the clone needs git, the commands need make) and runs FRESH_CMD
# (default `make check`, which runs `make vmtest`'s script as one of its
# tests) inside with /proc, /sys and /dev bound.  It fails naming the first
# command the root lacked.  Needs root (debootstrap, chroot, mounts).
#
# FRESH_CMD="make vmtest" runs only the main command.  FRESH_KEEP=1 keeps
# the root for a look inside ($O/fresh/root).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "fresh-check needs root (debootstrap, chroot, bind mounts)"
need_pkgs debootstrap git
FRESH=$O/fresh
ROOT=$FRESH/root
LOG=$LOGS/fresh-check.log
CMD=${FRESH_CMD:-make check}
SUITE=bookworm

# The Debian mirrors this machine uses, as "URI SUITE COMPONENTS" lines for
# bookworm and its -updates and -security suites, from one-line and deb822
# sources alike.
host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) \('$SUITE'[^ ]*\) \(.*\)$/\2 \3 \4/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no")
					for (i = 1; i <= ns; i++)
						if (s[i] ~ "^" suite)
							print uri, s[i], comps
				types = uri = comps = enabled = ""; ns = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { ns = split(substr($0, 8), s, " ") }
			/^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
			/^Enabled:/ { enabled = $2 }
			END { flush() }' "$f"
	done
}

cleanup() {
	local m
	# Deepest mount first; never remove anything while a bind is active.
	for m in $(findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}
trap cleanup EXIT

sources=$(host_sources | awk '$1 ~ /debian/' | sort -u)
[ -n "$sources" ] || die "no Debian $SUITE source in /etc/apt/sources.list{,.d} to build the root from"
mirror=$(echo "$sources" | awk '$2 == "'$SUITE'" {print $1; exit}')
[ -n "$mirror" ] || die "no plain '$SUITE' suite among this machine's apt sources: $(echo "$sources" | tr '\n' ';')"

start=$(date +%s)
cleanup
findmnt -rn -o TARGET | grep -qF "$ROOT/" && die "mounts still active under $ROOT; unmount them first"
rm -rf --one-file-system "$ROOT"
mkdir -p "$ROOT"
info "fresh-check: debootstrap --variant=minbase $SUITE from $mirror"
logrun "$LOGS/fresh-debootstrap.log" debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" ||
	die "debootstrap failed (see $LOGS/fresh-debootstrap.log)"
echo "$sources" | while read -r uri suite comps; do
	echo "deb $uri $suite $comps"
done >"$ROOT/etc/apt/sources.list"
run cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# The committed state, as a clone gives it to a new user.
[ -z "$(git -C "$TOP" status --porcelain --untracked-files=no)" ] ||
	info "fresh-check: note: uncommitted changes in $TOP are not part of the check"
run git clone -q "$TOP" "$ROOT/root/series" || die "git clone of $TOP into the root failed"

mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mkdir -p "$ROOT/dev/shm"
# One kernel build at a time on this machine, inside the root or not.
touch /tmp/kbuild.lock "$ROOT/tmp/kbuild.lock"
mount --bind /tmp/kbuild.lock "$ROOT/tmp/kbuild.lock"

info "fresh-check: in the root: apt-get install git make ca-certificates; cd series; $CMD"
logrun "$LOG" chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	bash -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends git make ca-certificates && cd /root/series && $CMD"
rc=$?
secs=$(($(date +%s) - start))
# A test run must not change tracked files (or leave untracked ones).
dirty=$(git -C "$ROOT/root/series" status --porcelain)
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1)
echo "fresh_check_seconds=$secs" >"$O/fresh-check.time"
if [ "${FRESH_KEEP:-0}" != 1 ]; then
	cleanup
	findmnt -rn -o TARGET | grep -qF "$ROOT/" || rm -rf --one-file-system "$ROOT"
fi
if [ $rc -ne 0 ]; then
	lacking=$(grep -m1 -oE '[^ :]+: (command )?not found' "$LOG")
	[ -n "$lacking" ] && die "fresh-check: the bare root lacks '${lacking%%:*}' ($CMD failed after ${secs}s; see $LOG)"
	die "fresh-check: '$CMD' failed in the bare root after ${secs}s: ${summary:-$(grep -m1 '^ERROR' "$LOG")} (see $LOG)"
fi
[ -z "$dirty" ] || die "fresh-check: '$CMD' left the clone changed: $(echo "$dirty" | head -3 | tr '\n' ' ') (see $LOG)"
info "fresh-check: '$CMD' passed on a bare $SUITE root in ${secs}s: $summary"
