#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-bench.sh: in one run, boot the patched and the base kernel and let
# hugetlb_fault_bench fault every page of a MAP_NORESERVE shared mapping and
# of a private mapping in random order, as many pages as the guest pool
# holds; print both and the base/patched ratio.  Results in $O/guest-bench.txt.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export MEM=${MEM:-2048} POOL=${POOL:-800} TESTS=none BENCH=1 TIMEOUT=${TIMEOUT:-900}
S=$TOP/scripts
out=$O/guest-bench.txt
: >"$out.tmp"
for series in "" none; do
	name=${series:-patched}
	[ "$series" = none ] && name=base
	info "guest-bench: $name kernel"
	SERIES=$series "$S/base.sh" && SERIES='' "$S/apply.sh" && SERIES=$series "$S/apply.sh" &&
		SERIES=$series "$S/config.sh" && SERIES=$series "$S/build.sh" &&
		SERIES=$series "$S/initramfs.sh" || die "preparing the $name kernel failed"
	log=$LOGS/guest-bench-$name.log
	tlog=${log%.log}.tests.log
	SERIES=$series CONSOLE_LOG=$log "$S/boot.sh" || die "guest-bench boot of the $name kernel failed (see $log)"
	grep -q '^fault_bench ' "$tlog" || die "no fault_bench output from the $name kernel (see $tlog)"
	grep '^fault_bench ' "$tlog" | sed "s/^/$name /" | tee -a "$out.tmp"
done
python3 - "$out.tmp" <<'PY' | tee -a "$out.tmp"
import re, sys
r = {}
for l in open(sys.argv[1]):
    m = re.match(r'(\w+) fault_bench (\w+) pages=(\d+) ns_per_fault=(\d+)', l)
    if m:
        r[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)))
for kind in ('shared', 'private'):
    if ('base', kind) in r and ('patched', kind) in r:
        print('ratio guest %s pages=%d base/patched ns_per_fault: %.2f' % (
            kind, r[('patched', kind)][0], r[('base', kind)][1] / r[('patched', kind)][1]))
PY
mv "$out.tmp" "$out"
