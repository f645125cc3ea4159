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
[ "${DEBUG:-0}" = 1 ] && fragments+=("$TOP/scripts/debug.config")
[ -n "${EXTRA_CONFIG:-}" ] && fragments+=("$EXTRA_CONFIG")
fragments+=("$TOP/scripts/qemu.config")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "config fragment $f not found"
done

mkdir -p "$KOUT"
log=$LOGS/config-$(basename "$KOUT").log
: >"$log"
info "config: tinyconfig + ${fragments[*]#$TOP/} -> $KOUT/.config"
logrun "$log.tiny" make -C "$KTREE" O="$KOUT" ARCH=x86_64 tinyconfig ||
	die "make tinyconfig failed (see $log.tiny)"
logrun "$log" "$KTREE/scripts/kconfig/merge_config.sh" -m -O "$KOUT" \
	"$KOUT/.config" "${fragments[@]}" ||
	die "merge_config.sh failed (see $log)"
logrun "$log.olddefconfig" make -C "$KTREE" O="$KOUT" ARCH=x86_64 olddefconfig ||
	die "make olddefconfig failed (see $log.olddefconfig)"

# merge_config.sh only warns about values that did not stick; make it fatal.
missing=()
for f in "${fragments[@]}"; do
	while read -r line; do
		case "$line" in
		CONFIG_*=n) want="# ${line%=n} is not set" ;;
		CONFIG_*) want=$line ;;
		"# CONFIG_"*" is not set") want=$line ;;
		*) continue ;;
		esac
		grep -qxF -- "$want" "$KOUT/.config" || {
			sym=${line%%=*}
			sym=${sym#\# }
			sym=${sym%% *}
			got=$(grep -E "^(# )?${sym}[= ]" "$KOUT/.config" || echo "absent")
			missing+=("$line (got: $got; from ${f#"$TOP"/})")
		}
	done <"$f"
done
if [ ${#missing[@]} -gt 0 ]; then
	printf '  missing: %s\n' "${missing[@]}" >&2
	die "${#missing[@]} requested config option(s) did not stick, probably unmet dependencies (see $KOUT/.config, $log)"
fi
info "config: all $(cat "${fragments[@]}" | grep -c '^CONFIG_') requested options present"
