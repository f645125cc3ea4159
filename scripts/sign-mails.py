#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sign-mails.py [--dry-run] [--repo DIR] MAIL...: make git format-patch
files sendable by the person who sends them.

The sender is `git config user.name` / `user.email` of --repo (this
repository by default).  Each patch mail gets the sender in its From: header,
keeps its author as a "From:" line at the top of the body when the author is
someone else (as git send-email does), and gets the sender's Signed-off-by
at the end of its trailers unless it is already the last one.  The
project's placeholder author and sign-off become the sender's.  The cover
letter (0000-*) only gets the From: header.

A placeholder identity (the repository's commits are signed by one; it is no
one who can certify the DCO) or a missing one is refused.  --dry-run keeps
it, and marks every subject "[DRY-RUN, NOT FOR SENDING]".
"""
import argparse
import os
import re
import subprocess
import sys

PLACEHOLDER = re.compile(r'seed \d+ maintainers|\.example>?$|noreply\.r-seed|^$', re.I)


def git_config(repo, key):
    r = subprocess.run(['git', '-C', repo, 'config', key], capture_output=True, text=True)
    return r.stdout.strip()


def unfold(head, name):
    m = re.search(r'^%s: (.*(?:\n[ \t].*)*)' % name, head, re.M)
    return re.sub(r'\n[ \t]+', ' ', m.group(1)).strip() if m else ''


def sign(path, sender, dry_run):
    text = open(path).read()
    head, sep, body = text.partition('\n\n')
    if not sep:
        sys.exit('ERROR: %s is not a mail (no header/body separator)' % path)
    author = unfold(head, 'From')
    # A backport goes out under its original author, never the sender's.
    if (re.search(r'^commit [0-9a-f]{12,40} upstream\.$', body, re.M) and
            PLACEHOLDER.search(author) and not dry_run):
        sys.exit('ERROR: %s is a backport ("commit ... upstream.") without its original '
                 'author (From: %s); put the author back first' % (path, author))
    head = re.sub(r'^From: .*(?:\n[ \t].*)*', lambda m: 'From: ' + sender, head, count=1, flags=re.M)
    if dry_run:
        head = re.sub(r'^Subject: ', 'Subject: [DRY-RUN, NOT FOR SENDING] ', head, count=1, flags=re.M)
    cover = os.path.basename(path).startswith('0000-')
    if not cover:
        # The placeholder stands for the project: the sender takes its
        # place as author and signs instead of it.
        if author and author != sender and not PLACEHOLDER.search(author):
            body = 'From: %s\n\n%s' % (author, body)
        msg, dashes, diff = body.partition('\n---\n')
        if not dashes:
            sys.exit('ERROR: %s has no "---" line after its message' % path)
        if not dry_run:
            msg = '\n'.join(l for l in msg.split('\n')
                            if not (l.startswith('Signed-off-by: ') and PLACEHOLDER.search(l[15:])))
        trailers = [l for l in msg.rstrip('\n').split('\n')
                    if re.match(r'^[A-Za-z-]+: ', l)]
        sob = 'Signed-off-by: ' + sender
        if not trailers or trailers[-1] != sob:
            msg = msg.rstrip('\n') + '\n' + sob
        body = msg + dashes + diff
    open(path, 'w').write(head + sep + body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dry-run', action='store_true')
    ap.add_argument('--repo', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument('mails', nargs='+')
    a = ap.parse_args()
    name, mail = git_config(a.repo, 'user.name'), git_config(a.repo, 'user.email')
    sender = '%s <%s>' % (name, mail)
    if not name or not mail or PLACEHOLDER.search(name) or PLACEHOLDER.search(mail):
        if not a.dry_run:
            sys.exit('ERROR: the sender "%s" (git config user.name/user.email in %s) is missing '
                     'or a placeholder; set your own identity there, or DRY_RUN=1 for a marked '
                     'mbox that is not for sending' % (sender, a.repo))
    for p in a.mails:
        sign(p, sender, a.dry_run)


if __name__ == '__main__':
    main()
