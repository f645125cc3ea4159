# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the series scripts.  Source this file, do not run it.
#
# Conventions: every external command that matters is echoed before it runs
# ("+ cmd"), long output goes to a log under $O/logs, and every failure ends
# with one line "ERROR: <what> (see <log>)" and a non-zero exit.

set -o pipefail
# Our own make variables (O=, DEBUG=, ...) must not leak into the kernel's
# sub-makes through MAKEFLAGS; scripts pass what kbuild needs explicitly.
unset MAKEFLAGS MFLAGS MAKELEVEL

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-$TOP/build}
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
LOGS=$O/logs
SRC=$O/linux			# patched kernel git tree (make apply)
BASEINFO=$O/base.info		# written by base.sh, read by later steps
mkdir -p "$LOGS"

# Series lines: one series per Debian linux-source-X.Y package.  6.1 keeps
# the original layout (series, patches/); every other line X.Y has
# series-X.Y and patches/X.Y/.
LINES="6.1 6.12"
PATCHES_ROOT=${PATCHES_ROOT:-$TOP/patches}

# line_of VERSION: the series line (major.minor) of a Debian version such as
# 6.1.192-3 or 6.12.117-1~deb12u1.
line_of() {
	local l
	l=$(printf '%s\n' "$1" | sed -nE 's/^([0-9]+\.[0-9]+)\..*/\1/p')
	case " $LINES " in
	*" $l "*) echo "$l" ;;
	*) echo "ERROR: version '$1' is not of a known series line ($LINES)" >&2; return 1 ;;
	esac
}
series_file_for() { if [ "$1" = 6.1 ]; then echo "$TOP/series"; else echo "$TOP/series-$1"; fi; }
patchdir_for() { if [ "$1" = 6.1 ]; then echo "$PATCHES_ROOT"; else echo "$PATCHES_ROOT/$1"; fi; }
# vdir VERSION: a version as a directory name ('~' would be a risk in paths
# handed to make and shells).
vdir() { printf '%s\n' "${1//\~/_}"; }

# The line of this run: from BASE= when given, else from the recorded base
# (so single steps follow 'make base BASE=...'), else the default 6.1.
if [ -n "${BASE:-}" ]; then
	SERIES_LINE=$(line_of "$BASE") || exit 1
elif [ -f "$BASEINFO" ] && grep -q '^series_line=' "$BASEINFO"; then
	SERIES_LINE=$(sed -n 's/^series_line=//p' "$BASEINFO")
else
	SERIES_LINE=6.1
fi
SERIES_FILE=${SERIES_FILE:-$(series_file_for "$SERIES_LINE")}
# The lock every kernel build on this machine takes turns on (flock).
KBUILD_LOCK=${KBUILD_LOCK:-/tmp/kbuild.lock}
PATCHDIR=${PATCHDIR:-$(patchdir_for "$SERIES_LINE")}
PREREQ_DIR=${PREREQ_DIR:-$PATCHDIR/prereq}	# stable fixes older bases lack

# SERIES=none runs everything on the unpatched base, in its own trees.
# shellcheck disable=SC2034 # KTREE, VARIANT: for the scripts that source this
if [ "${SERIES:-}" = none ]; then
	KTREE=$O/linux-base
	KOUT=$O/kbuild-base
	VARIANT=base
else
	KTREE=$SRC
	KOUT=$O/kbuild
	VARIANT=patched
fi
[ "${DEBUG:-0}" = 1 ] && KOUT=$KOUT-debug && VARIANT=$VARIANT-debug
# KOUT_DIR: build the same tree into another output directory (tests).
[ -n "${KOUT_DIR:-}" ] && KOUT=$KOUT_DIR

_t0=${_T0:-$(date +%s)}
export _T0=$_t0

elapsed() {
	local s=$(($(date +%s) - _t0))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

info() { echo "[$(elapsed)] $*"; }

die() {
	echo "ERROR: $*" >&2
	exit 1
}

# run CMD...: echo the command, then run it in the foreground.
run() {
	echo "+ $*"
	"$@"
}

# logrun LOG CMD...: echo the command, send all output to LOG, print a
# heartbeat every 30s so long steps show progress.  Returns the command's status.
logrun() {
	local log=$1 pid rc
	shift
	echo "+ $* > ${log#"$TOP"/}"
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 30); do
			sleep 1
			kill -0 "$pid" 2>/dev/null || break
		done
		kill -0 "$pid" 2>/dev/null || break
		if [ -n "${LOGRUN_WATCH:-}" ]; then
			info "  ... still running ($(grep -c '^\(not \)\?ok ' "$LOGRUN_WATCH" 2>/dev/null) results so far in ${LOGRUN_WATCH#"$TOP"/})"
		else
			info "  ... still running ($(wc -l <"$log") lines in ${log#"$TOP"/})"
		fi
	done
	wait "$pid"
	rc=$?
	return $rc
}

# step K N TEXT: progress header for the all-in-one run.
step() { info "step $1/$2: $3"; }

# need_pkgs PKG...: apt-get install what is missing, saying what and why.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	info "installing Debian packages: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	if [ ! -e "$O/.apt-updated" ]; then
		logrun "$LOGS/apt-update.log" $sudo apt-get -o DPkg::Lock::Timeout=900 update ||
			die "apt-get update failed (see $LOGS/apt-update.log)"
		touch "$O/.apt-updated"
	fi
	logrun "$LOGS/apt-install.log" env DEBIAN_FRONTEND=noninteractive \
		$sudo apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed (see $LOGS/apt-install.log)"
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found (install package ${2:-$1})"
}

# Base tree facts recorded by base.sh.
base_get() {
	[ -f "$BASEINFO" ] || die "no base recorded; run 'make base' first ($BASEINFO missing)"
	sed -n "s/^$1=//p" "$BASEINFO"
}

# series_patches: patch file names from $SERIES_FILE, comments and blanks dropped.
series_patches() {
	[ -f "$SERIES_FILE" ] || die "series file $SERIES_FILE not found"
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$SERIES_FILE" |
		awk '{print $1}'
}

# prereq_patches: stable fixes the series expects in its base, in order
# (patches/prereq/series).  Newer bases carry them already.
prereq_patches() {
	[ -f "$PREREQ_DIR/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PREREQ_DIR/series" | awk '{print $1}'
}

# apply_prereqs: in the git tree in the current directory, sitting on the
# base, git am each prerequisite the base does not carry yet.  One line per
# prerequisite; a prerequisite that neither applies nor is already in the
# base is an error.
apply_prereqs() {
	local p log=$LOGS/apply-prereq.log
	for p in $(prereq_patches); do
		[ -f "$PREREQ_DIR/$p" ] || { echo "ERROR: $PREREQ_DIR/series names $p, which does not exist" >&2; return 1; }
		if git apply --check -R "$PREREQ_DIR/$p" >/dev/null 2>&1; then
			echo "  prerequisite $p: already in base"
		elif git am -q --whitespace=nowarn "$PREREQ_DIR/$p" >"$log" 2>&1; then
			echo "  prerequisite $p: applied"
		else
			git am --abort >/dev/null 2>&1
			echo "ERROR: prerequisite $p neither applies to nor is in the base (see $log)" >&2
			return 1
		fi
	done
}

# build_lock: one run that changes the trees at a time per build directory;
# nested scripts inherit the lock.
build_lock() {
	[ "${BUILD_LOCKED:-}" = "$O" ] && return 0
	exec 9>"$O/.vmtest.lock"
	flock -n 9 || { info "waiting for another run in $O"; flock 9; }
	export BUILD_LOCKED=$O
}

NPROC=$(nproc)
JOBS=${JOBS:-$((NPROC + 1))}

# line_base_tree LINE: a git tree tagged "base" of series line LINE: $SRC
# when it is of that line, else one unpacked into $O/gen-base/LINE (the
# newest linux-source-LINE in the archive; GEN_BASE_6_12=VERSION etc. pick
# another; 6.1: the installed one).  Prints its path.
line_base_tree() {
	local line=$1 var v
	local cur=
	# A base.info from before series lines were recorded is of 6.1.
	[ -f "$BASEINFO" ] && cur=$(sed -n 's/^series_line=//p' "$BASEINFO") && cur=${cur:-6.1}
	if [ -d "$SRC/.git" ] && [ "$cur" = "$line" ]; then
		echo "$SRC"
		return
	fi
	var=GEN_BASE_${line//./_}
	v=${!var:-}
	if [ -z "$v" ] && [ "$line" != 6.1 ]; then
		[ -e "$O/.apt-updated" ] || { logrun "$LOGS/apt-update.log" apt-get update >&2 && touch "$O/.apt-updated"; } ||
			die "apt-get update failed (see $LOGS/apt-update.log)"
		v=$(apt-cache madison "linux-source-$line" | awk '{print $3}' | sort -V | tail -1)
		[ -n "$v" ] || die "apt-cache knows no linux-source-$line versions"
	fi
	info "base tree for $line (${v:-default}) in $O/gen-base/$line" >&2
	O=$O/gen-base/$line BASE=$v "$TOP/scripts/base.sh" >&2 ||
		die "cannot unpack a $line base in $O/gen-base/$line"
	echo "$O/gen-base/$line/linux"
}
