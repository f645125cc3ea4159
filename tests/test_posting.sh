#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_posting.sh: make mbox TOPIC=fixes (scripts/post.sh) must
#  - refuse the repository's placeholder identity, and mark a DRY_RUN=1
#    posting as not for sending;
#  - with a real identity, send as that person: From: the sender, the
#    author kept as the body's first line, the sender's Signed-off-by last;
#  - refuse a backport ("commit X upstream.") that lost its author.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

fail() { echo "FAIL: $*"; exit 1; }
out=$O/mbox
log=$LOGS/test-posting.log
: >"$log"

echo "+ scripts/post.sh mremap-rsvd-leak (placeholder identity)"
"$TOP/scripts/post.sh" mremap-rsvd-leak >>"$log" 2>&1 &&
	fail "a posting with the placeholder identity was produced (see $log)"
grep -q 'is missing or a placeholder' "$log" || fail "no reason given for the refusal (see $log)"

echo "+ DRY_RUN=1 scripts/post.sh mremap-rsvd-leak"
DRY_RUN=1 "$TOP/scripts/post.sh" mremap-rsvd-leak >>"$log" 2>&1 || fail "dry run failed (see $log)"
for f in "$out"/mremap-rsvd-leak/0*.patch; do
	grep -q '^Subject: \[DRY-RUN, NOT FOR SENDING\]' "$f" || fail "$f is not marked as a dry run"
done

# A real identity, from the environment (git >= 2.31), not written anywhere.
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="Ada Tester"
export GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=ada@kernel.test
sender='Ada Tester <ada@kernel.test>'
echo "+ scripts/post.sh --topic fixes (6.12 line, as $sender)"
"$TOP/scripts/post.sh" fixes-6.12 >>"$log" 2>&1 || fail "6.12 fixes posting failed (see $log)"
n=0
for f in "$out"/fixes-6.12/0*.patch; do
	head=$(sed '/^$/q' "$f")
	grep -q "^From: $sender" <<<"$head" || fail "$f: From: is not the sender"
	case "$f" in *0000-cover-letter.patch) continue ;; esac
	n=$((n + 1))
	last=$(sed -n '/^---$/q;/^[A-Za-z-]*: /p' "$f" | tail -1)
	[ "$last" = "Signed-off-by: $sender" ] || fail "$f: last trailer is '$last', not the sender's sign-off"
	# Our own patches' placeholder author is replaced, never quoted.
	grep -q '^From: Seed ' "$f" && fail "$f: placeholder author left in the mail"
done
[ "$n" -gt 0 ] || fail "the 6.12 fixes posting has no patch"

echo "+ scripts/post.sh fixes-6.1 (a backport without its author must be refused)"
if "$TOP/scripts/post.sh" fixes-6.1 >>"$log" 2>&1; then
	grep -l '^commit [0-9a-f]* upstream\.$' "$out"/fixes-6.1/0*.patch | while read -r f; do
		grep -q '^From: Seed' "$f" && fail "$f: backport sent without its author"
	done
else
	grep -q 'without its original author' "$log" || fail "6.1 fixes posting failed for another reason (see $log)"
fi
# An attributed backport keeps its author as the body's first line.
echo "+ DRY_RUN=1 scripts/post.sh fixes-6.1"
DRY_RUN=1 "$TOP/scripts/post.sh" fixes-6.1 >>"$log" 2>&1 || fail "6.1 fixes dry run failed (see $log)"
f=$(grep -l '^commit df7a6d1f6405' "$out"/fixes-6.1/0*.patch) || fail "no df7a6d1f6405 backport in the 6.1 posting"
sed -n '/^$/{n;p;q}' "$f" | grep -q '^From: Breno Leitao <leitao@debian.org>' ||
	fail "$f: the backport's author is not kept in the body"
grep -q "^Signed-off-by: $sender" "$f" || fail "$f: no sender sign-off"
echo "posting: identity checks hold ($n patches in the 6.12 fixes posting)"
