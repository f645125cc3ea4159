#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# config.sh: x86_64 tinyconfig, then Kconfig.fragment (+ scripts/debug.config
# with DEBUG=1, + $EXTRA_CONFIG), then scripts/qemu.config last so the boot
# options always win; merged with the tree's merge_config.sh.  Every option
# the fragments ask for must survive olddefconfig.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs make gcc flex bison bc libelf-dev libssl-dev
[ -d "$KTREE" ] || die "kernel tree $KTREE missing; run 'make apply' first"

fragments=("$TOP/Kconfig.fragment")
# Kconfig.fragment-X.Y: what differs on a series line, read after the shared
# fragment: a line there overrides the shared one for the same option, and
# "# drop: CONFIG_FOO reason" removes an option the line does not have.
[ -f "$TOP/Kconfig.fragment-$SERIES_LINE" ] && fragments+=("$TOP/Kconfig.fragment-$SERIES_LINE")
[ "${DEBUG:-0}" = 1 ] && fragments+=("$TOP/scripts/debug.config")
[ -n "${EXTRA_CONFIG:-}" ] && fragments+=("$EXTRA_CONFIG")
fragments+=("$TOP/scripts/qemu.config")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "config fragment $f not found"
done

# One effective fragment: the last word on each option wins (qemu.config is
# last), dropped options are neither asked for nor checked.
mkdir -p "$KOUT"
declare -A want from
order=()
for f in "${fragments[@]}"; do
	while read -r line; do
		case "$line" in
		"# drop: CONFIG_"*)
			sym=${line#"# drop: "}
			sym=${sym%% *}
			unset "want[$sym]" "from[$sym]"
			continue ;;
		CONFIG_*=*) sym=${line%%=*} ;;
		"# CONFIG_"*" is not set") sym=${line#"# "}; sym=${sym%% *} ;;
		*) continue ;;
		esac
		[ -n "${want[$sym]+set}" ] || order+=("$sym")
		want[$sym]=$line
		from[$sym]=$f
	done <"$f"
done
effective=$KOUT/fragment.config
for sym in "${order[@]}"; do
	[ -n "${want[$sym]+set}" ] && echo "${want[$sym]}"
done >"$effective"

log=$LOGS/config-$(basename "$KOUT").log
: >"$log"
info "config: tinyconfig + ${fragments[*]#"$TOP"/} -> $KOUT/.config"
logrun "$log.tiny" make -C "$KTREE" O="$KOUT" ARCH=x86_64 tinyconfig ||
	die "make tinyconfig failed (see $log.tiny)"
logrun "$log" "$KTREE/scripts/kconfig/merge_config.sh" -m -O "$KOUT" \
	"$KOUT/.config" "$effective" ||
	die "merge_config.sh failed (see $log)"
logrun "$log.olddefconfig" make -C "$KTREE" O="$KOUT" ARCH=x86_64 olddefconfig ||
	die "make olddefconfig failed (see $log.olddefconfig)"

# merge_config.sh only warns about values that did not stick; make it fatal.
missing=()
for sym in "${order[@]}"; do
	[ -n "${want[$sym]+set}" ] || continue
	line=${want[$sym]}
	case "$line" in
	CONFIG_*=n) want_line="# ${line%=n} is not set" ;;
	*) want_line=$line ;;
	esac
	grep -qxF -- "$want_line" "$KOUT/.config" || {
		got=$(grep -E "^(# )?${sym}[= ]" "$KOUT/.config" || echo "absent")
		missing+=("$line (got: $got; from ${from[$sym]#"$TOP"/})")
	}
done
if [ ${#missing[@]} -gt 0 ]; then
	printf '  missing: %s\n' "${missing[@]}" >&2
	die "${#missing[@]} requested config option(s) did not stick, probably unmet dependencies (see $KOUT/.config, $log)"
fi
info "config: all $(grep -c '^CONFIG_' "$effective") requested options present (series line $SERIES_LINE)"
