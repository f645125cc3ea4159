#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_config.sh: an option that cannot stick (unmet dependency) must fail
# the config step with a list of what is missing.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# KASAN_SW_TAGS exists only on arm64; HUGETLB_PAGE_FREE_VMEMMAP needs
# options tinyconfig lacks -- either way it cannot stick on x86_64 tinyconfig.
printf 'CONFIG_KASAN_SW_TAGS=y\n' >"$tmp/bad.config"
KOUT_DIR=$O/check-config EXTRA_CONFIG=$tmp/bad.config "$TOP/scripts/config.sh" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -ne 0 ] || { echo "config.sh accepted an option that did not stick"; exit 1; }
grep -q 'missing: CONFIG_KASAN_SW_TAGS=y' "$tmp/out" || { echo "missing option not listed"; exit 1; }
grep -q '^ERROR: .*did not stick, probably unmet dependencies' "$tmp/out" || { echo "no clear error line"; exit 1; }
echo "ok: rejected with a clear message"
