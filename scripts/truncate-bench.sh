#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# truncate-bench.sh: what "hugetlbfs: wait for in-flight faults when
# truncating" costs.  Boots the series without that patch ($O/truncate-before)
# and with it ($O), runs bench/truncate_bench.c in each guest, and prints the
# median and p90 ftruncate() latency per case side by side, with the ratio.
# Results in $O/truncate-bench.txt; logs in $LOGS/truncate-bench-*.log.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export MEM=${MEM:-1536} POOL=${POOL:-128} TESTS=none BENCH=truncate TIMEOUT=${TIMEOUT:-600}
S=$TOP/scripts
pat=wait-for-in-flight-faults-when-truncating
out=$O/truncate-bench.txt
before_o=$O/truncate-before
mkdir -p "$before_o"
before_series=$before_o/series
grep -v -- "$pat" "$SERIES_FILE" >"$before_series"
cmp -s "$before_series" "$SERIES_FILE" &&
	die "no patch matching $pat in $SERIES_FILE"

: >"$out.tmp"
for variant in before after; do
	o=$O series=$SERIES_FILE
	[ "$variant" = before ] && o=$before_o series=$before_series
	info "truncate-bench: $variant ($o)"
	(export O=$o SERIES_FILE=$series PATCHDIR BASE
	 "$S/base.sh" && "$S/apply.sh" && "$S/config.sh" && "$S/build.sh" && "$S/initramfs.sh") ||
		die "preparing the '$variant' kernel failed (see $o/logs)"
	log=$LOGS/truncate-bench-$variant.log
	tlog=${log%.log}.tests.log
	O=$o SERIES_FILE=$series CONSOLE_LOG=$log TESTS_LOG=$tlog "$S/boot.sh" ||
		die "truncate-bench boot of the '$variant' kernel failed (see $log)"
	grep -q '^truncate_bench ' "$tlog" ||
		die "no truncate_bench output from the '$variant' kernel (see $tlog)"
	grep '^truncate_bench ' "$tlog" | sed "s/^/$variant /" | tee -a "$out.tmp"
done
python3 - "$out.tmp" <<'PY' | tee -a "$out.tmp"
import re, sys
r = {}
for l in open(sys.argv[1]):
    m = re.match(r'(\w+) truncate_bench case=(\w+) maps=(\d+) pages=(\d+) runs=(\d+) '
                 r'median_ns=(\d+) p90_ns=(\d+)', l)
    if m:
        r[(m.group(1), m.group(2))] = (int(m.group(6)), int(m.group(7)), m.group(4))
print('%-20s %5s %12s %12s %6s %12s %12s %6s' % ('case', 'pages', 'before med', 'after med',
                                            'ratio', 'before p90', 'after p90', 'ratio'))
for (v, case), (med, p90, pages) in sorted(r.items()):
    if v != 'before' or ('after', case) not in r:
        continue
    amed, ap90, _ = r[('after', case)]
    print('%-20s %5s %10d ns %10d ns %6.2f %10d ns %10d ns %6.2f' % (
        case, pages, med, amed, amed / med, p90, ap90, ap90 / p90))
PY
mv "$out.tmp" "$out"
info "truncate-bench: $out"
