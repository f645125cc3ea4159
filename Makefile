# SPDX-License-Identifier: GPL-2.0
# Entry points of the series.  Every target is a thin wrapper around a script
# in scripts/, so each step also runs on its own.
#
#   make vmtest      base -> apply -> config -> build -> initramfs -> boot (2M, 1G pages) -> verdict
#   make check       the project's own tests (what .ci/run runs)
#
# Variables: O=DIR (build directory, default build/), BASE=VERSION (Debian
# linux-source-6.1 or linux-source-6.12 version: 6.12.x picks series-6.12
# and patches/6.12/; default the installed 6.1), SERIES=none (unpatched base), DEBUG=1 (KASAN,
# kmemleak, fault injection), KVM=1, MEM, CPUS, POOL, TIMEOUT, TESTS;
# SIZES="2M 1G" (the huge page sizes vmtest boots with; SIZES=2M for one
# boot), MEM_1G, POOL_1G, TIMEOUT_1G, PROG_TIMEOUT_1G, TESTS_1G.

SHELL := /bin/bash
S := scripts

export O OTHER_O BASE SERIES TOPIC DRY_RUN DEBUG KVM MEM CPUS POOL TIMEOUT TESTS BENCH ALLOW_SKIP FRESH FRESH_CMD
export SIZES MEM_1G POOL_1G TIMEOUT_1G PROG_TIMEOUT_1G TESTS_1G

.PHONY: help deps vmtest check base apply config kernel initramfs boot parse \
	selftest-patch selftest-mutants export bench bench-index mutants clear-cost region-prefixes mbox matrix \
	bisect-check guest-bench truncate-bench fresh-check post clean \
	arch-check noinstr-check mmap-lock-probe ia64-toolchain

help:
	@sed -n 's/^#   //p' Makefile
	@echo "steps: base apply config kernel initramfs boot parse LOG=..."
	@echo "more:  bench bench-index mutants clear-cost region-prefixes mbox matrix bisect-check"
	@echo "       guest-bench truncate-bench selftest-patch export"
	@echo "mmap_lock: arch-check [ARCHES=...] noinstr-check mmap-lock-probe ia64-toolchain"

vmtest:
	@$(S)/vmtest.sh

check:
	@$(S)/check.sh

# make vmtest / make check on a bare debootstrap root (needs root).
fresh-check:
	@$(S)/fresh-check.sh

base:
	@$(S)/base.sh

apply: base
	@$(S)/apply.sh

config:
	@$(S)/config.sh

kernel:
	@$(S)/build.sh

initramfs:
	@$(S)/initramfs.sh

boot:
	@$(S)/boot.sh

parse:
	@test -n "$(LOG)" || { echo "ERROR: usage: make parse LOG=path/to/console.log [TESTS_LOG=...]" >&2; exit 2; }
	@python3 $(S)/parse.py $(if $(TESTS_LOG),--tests $(TESTS_LOG)) $(LOG)

# Regenerate the selftests patch of every series line from
# tools/testing/selftests/hugetlb.
selftest-patch:
	@$(S)/gen-selftest-patch.sh --update

# Write build/linux's commits (base..HEAD) back to patches/ and series.
export:
	@$(S)/export-patches.sh

# Region code: the base's (6.1 or 6.12) against the series, wall time and instructions.
bench:
	@$(S)/bench.sh

# The same with the region code on the tree's maple tree (6.1's, or 6.12's
# with BASE=6.12.x) beside the list and the rbtree
# (docs/region-index-choice.md); TREE= names the kernel tree.
bench-index:
	@INDEX="$(or $(INDEX),maple maple-prealloc)" $(S)/bench.sh $(TREE)

# Region harness against mutants of the lock-drop paths: killed N of N.
mutants:
	@$(S)/mutants.sh

# The new selftests on a kernel with one behaviour broken at a time
# (tests/selftest-mutants): killed N of N.  Needs make vmtest first.
selftest-mutants:
	@$(S)/selftest-mutants.sh

# A 2 MB hugetlb fault on this machine's kernel (root), next to make bench.
clear-cost:
	@$(S)/clear-cost.sh

# Build every commit of the region topic (bzImage, CGROUP_HUGETLB=n, harness).
region-prefixes:
	@$(S)/region-prefixes.sh

# TOPIC=fixes: the fixes topic of the base's line alone, with its own cover
# letter (posting/fixes-6.1, posting/fixes-6.12).  DRY_RUN=1 keeps a
# placeholder sender identity and marks the mails as not for sending.
mbox:
	@$(if $(TOPIC),$(S)/post.sh --topic $(TOPIC),$(S)/mbox.sh)

# One fix on its own, with its cover letter: make post NAME=mremap-rsvd-leak
post:
	@$(S)/post.sh $(NAME)

matrix:
	@$(S)/matrix.sh

bisect-check:
	@$(S)/bisect-check.sh

guest-bench:
	@$(S)/guest-bench.sh

# ftruncate() latency without and with the truncate-vs-fault fix.
truncate-bench:
	@$(S)/truncate-bench.sh

# mmap_lock topic: every architecture's objects, base against series
# (ARCHES="arm64 ia64" for some); objtool noinstr validation; which old
# open-coded forms still compile; the ia64 cross gcc arch-check needs.
arch-check:
	@$(S)/arch-check.sh $(ARCHES)

noinstr-check:
	@$(S)/noinstr-check.sh

mmap-lock-probe:
	@$(S)/mmap-lock-probe.sh

ia64-toolchain:
	@$(S)/ia64-toolchain.sh

clean:
	rm -rf $(or $(O),build)
