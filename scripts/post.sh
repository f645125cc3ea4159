#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# post.sh NAME: one posting (a fix, or a topic of the series) under
# $O/mbox/NAME/: a cover letter (posting/NAME/cover.txt: subject line, then
# the body), the patches that posting/NAME/patches names (git format-patch
# files of the series, never copies), To/Cc from get_maintainer.pl, the
# sender's From: and Signed-off-by (scripts/sign-mails.py), and one mbox.
#
# posting/NAME/patches: one patch file per line (relative to the top), or
#   series: LINE TOPIC   the patches of TOPIC's section ("# Topic: TOPIC ...")
#                        in the series of LINE (6.1: series, 6.12: series-6.12)
#   prefix: TEXT         subject prefix instead of PATCH (e.g. PATCH 6.1)
#   skip: TEXT           leave out the patches whose file name contains TEXT
#   to: ADDRESS          To: of every mail (get_maintainer.pl's go to Cc:)
#
#   make post NAME=mremap-rsvd-leak      make mbox TOPIC=fixes [BASE=6.12...]
#   DRY_RUN=1: keep a placeholder sender identity, subjects marked as not
#   for sending.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

name=${1:-${NAME:-}}
# --topic T: the posting of topic T for the base's line, posting/T-LINE.
[ "$name" = --topic ] && name=${2:?--topic needs a topic}-$SERIES_LINE
[ -n "$name" ] || die "usage: make post NAME=<directory in posting/>"
dir=$TOP/posting/$name
[ -f "$dir/cover.txt" ] && [ -f "$dir/patches" ] ||
	die "posting/$name needs cover.txt and patches (see $dir)"
prefix=PATCH
patches=() skips=() extra_to=()
while read -r kind a b; do
	case "$kind" in
	series:)
		sfile=$(series_file_for "$a") pdir=$(patchdir_for "$a")
		mapfile -t -O ${#patches[@]} patches < <(awk -v t="$b" '
			/^# Topic: / { on = (substr($0, 10, length(t)) == t); next }
			/^#/ || /^[[:space:]]*$/ { next }
			on { print }' "$sfile" | sed "s|^|${pdir#"$TOP"/}/|")
		;;
	prefix:) prefix="$a${b:+ $b}" ;;
	skip:) skips+=("$a") ;;
	to:) extra_to+=("$a") ;;
	*) patches+=("$kind") ;;
	esac
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$dir/patches")
for s in "${skips[@]}"; do
	for i in "${!patches[@]}"; do
		[[ ${patches[$i]} == *"$s"* ]] && unset "patches[$i]"
	done
done
patches=("${patches[@]}")
[ ${#patches[@]} -gt 0 ] || die "posting/$name/patches names no patch"
for p in "${patches[@]}"; do
	[ -f "$TOP/$p" ] || die "posting/$name/patches names $p, which does not exist"
done
# get_maintainer.pl and MAINTAINERS of whatever base is unpacked.
[ -x "$SRC/scripts/get_maintainer.pl" ] || die "no kernel tree at $SRC for get_maintainer.pl; run 'make base' first"

out=$O/mbox/$name
rm -rf "$out"
mkdir -p "$out"
python3 - "$out" "$dir/cover.txt" "$SRC" "$TOP" "$prefix" "${extra_to[*]}" "${patches[@]}" <<'PY' || die "building the posting failed"
import email.utils, os, re, subprocess, sys
out, cover, src, top, prefix, extra_to, patches = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split(), sys.argv[7:]
n = len(patches)

def gm(path, *args):
    r = subprocess.run([os.path.join(src, 'scripts', 'get_maintainer.pl'), '--no-git',
                        '--no-git-fallback', '--no-rolestats'] + list(args) + [path],
                       cwd=src, capture_output=True, text=True)
    return [l for l in r.stdout.split('\n') if l.strip()]

def ident():
    def g(k):
        return subprocess.run(['git', '-C', src, 'config', k], capture_output=True,
                              text=True).stdout.strip()
    return '%s <%s>' % (g('user.name'), g('user.email'))

to_all, cc_all, mails = [], [], []
domain = 'localhost'
cover_id = email.utils.make_msgid(domain=domain)
for i, p in enumerate(patches, 1):
    text = open(os.path.join(top, p)).read()
    to, cc = gm(os.path.join(top, p), '--no-l', '--no-r'), gm(os.path.join(top, p), '--no-m')
    # The posting's own addressees first (e.g. stable@), the maintainers on Cc then.
    if extra_to:
        cc = [x for x in to + cc if x not in extra_to]
        to = list(extra_to)
    to_all += [x for x in to if x not in to_all]
    cc_all += [x for x in cc if x not in cc_all]
    head, sep, body = text.partition('\n\n')
    head = re.sub(r'^Subject: \[PATCH[^\]]*\]', 'Subject: [%s %d/%d]' % (prefix, i, n), head, flags=re.M)
    extra = '\nMessage-Id: %s\nIn-Reply-To: %s\nReferences: %s' % (
        email.utils.make_msgid(domain=domain), cover_id, cover_id)
    if to:
        extra += '\nTo: ' + ',\n    '.join(to)
    if cc:
        extra += '\nCc: ' + ',\n    '.join(cc)
    name = '%04d-%s' % (i, os.path.basename(p)[5:])
    mails.append(name)
    open(os.path.join(out, name), 'w').write(head + extra + sep + body)

lines = open(cover).read().rstrip('\n').split('\n')
subject, body = lines[0], '\n'.join(lines[1:]).strip('\n')
hdr = ['From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
       'From: ' + ident(), 'Date: ' + email.utils.formatdate(),
       'Subject: [%s 0/%d] %s' % (prefix, n, subject), 'Message-Id: ' + cover_id]
if to_all:
    hdr.append('To: ' + ',\n    '.join(to_all))
if cc_all:
    hdr.append('Cc: ' + ',\n    '.join(cc_all))
open(os.path.join(out, '0000-cover-letter.patch'), 'w').write(
    '\n'.join(hdr) + '\n\n' + body + '\n')
PY
signopt=()
[ "${DRY_RUN:-0}" = 1 ] && signopt=(--dry-run)
run python3 "$TOP/scripts/sign-mails.py" "${signopt[@]}" "$out"/0*.patch ||
	die "no sendable posting: see the line above (DRY_RUN=1 for a marked dry run)"
cat "$out"/0*.patch >"$out/$name.mbox"
info "post: $out: $(find "$out" -name '0*.patch' | wc -l) mails, $out/$name.mbox"
grep -h -E '^(Subject|To|Cc):' "$out"/0000-cover-letter.patch
