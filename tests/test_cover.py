#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/cover-letter.py (make mbox's cover letter) on
made-up output directories of both bases: the numbers it quotes, the
side-by-side table with OTHER_O=, and its refusals."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..')
COVER = os.path.join(TOP, 'scripts', 'cover-letter.py')

TEMPLATE = """From 0 Mon Sep 17 00:00:00 2001
Subject: [PATCH v2 00/42] *** SUBJECT HERE ***

*** BLURB HERE ***

A Author (1):
  mm: something

 mm/hugetlb.c | 1 +
"""


def bench(seq_wall, mem, seq_wall_ns='25.9'):
    """bench.txt lines as scripts/bench.sh writes them."""
    return '\n'.join([
        'per fault, ... wall: median of 5',
        'runs [min..max], ns; insn: callgrind (random: 2000 faults sampled).',
        'sequential 100000  | 20.0 [19.6..21.0]            %s [24.8..26.4]              0.77 |'
        '    502.0    546.2   0.92' % seq_wall_ns,
        'random     100000  | 167700.8 [167385.0..172234.6] 281.9 [265.7..291.8]         594.89 |'
        ' 275886.2    890.1 309.95',
        'ratio random N=100000: 298.4',
        'ratio random N=1000000: 2000.0',
        'target random N=100000 old/new wall >= 100 (298.4): PASS',
        'target sequential N=100000 new/old wall <= 1.5 (%s): %s' % (
            seq_wall, 'PASS' if float(seq_wall) <= 1.5 else 'FAIL'),
        'target memory per faulted page random N=100000 <= 48 B (%s): PASS' % mem,
    ]) + '\n'


def outdir(root, name, line, version, n2m, n1g=None, bench_txt=None):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, 'logs'))
    with open(os.path.join(d, 'base.info'), 'w') as f:
        f.write('debian_version=%s\nseries_line=%s\nkernelversion=%s\n'
                'upstream_tag=v%s\ntarball_sha256=00\nbase_commit=abc\n' % (
                    version, line, version.split('-')[0], version.split('-')[0]))
    for size, n in (('', n2m), ('-1G', n1g)):
        if n is None:
            continue
        tests = [{'path': 'hugetlb.hugetlb_shared.shared.case%d' % i, 'status': 'PASS'}
                 for i in range(n[0])]
        tests += [{'path': 'hugetlb.hugetlb_races.races.f%d' % i, 'status': 'FAIL'}
                  for i in range(n[1])]
        tests += [{'path': 'vm.skipped%d' % i, 'status': 'SKIP'} for i in range(n[2])]
        with open(os.path.join(d, 'logs', 'console-patched%s.json' % size), 'w') as f:
            json.dump({'tests': tests, 'splats': [], 'problems': []}, f)
    if bench_txt is not None:
        with open(os.path.join(d, 'bench.txt'), 'w') as f:
            f.write(bench_txt)
    return d


def cover(o, other_o=None):
    fd, path = tempfile.mkstemp(suffix='.patch')
    with os.fdopen(fd, 'w') as f:
        f.write(TEMPLATE)
    args = [sys.executable, COVER, path, TOP, o, '2', 'id-1', 'a@x.test', 'l@x.test']
    if other_o is not None:
        args.append(other_o)
    p = subprocess.run(args, capture_output=True, text=True)
    with open(path) as f:
        return p, f.read()


class CoverTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.o61 = outdir(self.root, 'o61', '6.1', '6.1.192-3', (141, 0, 0), (126, 0, 2),
                          bench('1.24', '48'))
        with open(os.path.join(self.o61, 'clear-cost.txt'), 'w') as f:
            f.write('2 MB hugetlb fault on 6.18.44-x, 16 pages x 9 runs: median 94123 ns '
                    '[90000..99000]; userspace 2 MB memset: median 80000 ns [1..2]\n')
        # The 6.12 directory has no 1 GB run and misses one target.
        b = '\n'.join(l for l in bench('1.31', '40', '26.2').split('\n')
                      if 'memory per' not in l) + '\n'
        self.o612 = outdir(self.root, 'o612', '6.12', '6.12.117-1~deb12u1', (140, 1, 0),
                           bench_txt=b)

    def test_one_base(self):
        p, text = cover(self.o61)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('*** BLURB HERE ***', text)
        self.assertNotIn('*** SUBJECT HERE ***', text)
        self.assertIn('make vmtest: 141 passed, 0 failed, 0 skipped; 141 cases in 1 programs', text)
        self.assertIn('with 1 GB default huge pages (hugetlb only): 126 passed, 0 failed, 2 skipped', text)
        self.assertIn('    target random N=100000 old/new wall >= 100 (298.4): PASS', text)
        self.assertNotIn('ratio random', text)
        self.assertNotIn('Both bases', text)
        self.assertIn('Linux 6.1 (as Debian ships it)', text)
        self.assertIn('base-debian: linux-source-6.1 6.1.192-3', text)
        self.assertIn('To: a@x.test', text)
        self.assertIn('Cc: l@x.test', text)

    def test_intro_numbers_from_this_directory(self):
        p, text = cover(self.o61)
        self.assertEqual(p.returncode, 0, p.stderr)
        flat = ' '.join(text.split())
        self.assertIn('median of 5 runs): sequential faults at 10^5 pages cost 25.9 ns against '
                      "6.1's 20.0 (546 against 502 instructions), random order 282 ns against "
                      '168 us (890 against 275886 instructions).', flat)
        self.assertIn('A first-touch 2 MB fault took 94 us on the same machine '
                      '(6.18.44-x, make clear-cost).', flat)
        self.assertNotRegex(text, r'\{\w+\}')
        self.assertNotIn('\0', text)
        story = text.split('\n\n')
        para = [p for p in story if 'median of 5 runs): sequential' in ' '.join(p.split())]
        self.assertEqual(len(para), 1)
        self.assertLessEqual(max(len(l) for l in para[0].split('\n')), 72)
        # No make clear-cost in the 6.12 directory: its sentence is left out.
        p, text = cover(self.o612)
        self.assertEqual(p.returncode, 0, p.stderr)
        flat = ' '.join(text.split())
        self.assertIn("cost 26.2 ns against 6.12's 20.0", flat)
        self.assertNotIn('first-touch', flat)
        self.assertNotIn('make clear-cost)', flat)
        self.assertNotRegex(text, r'\{\w+\}')

    def test_intro_lines_of_the_other_line_left_out(self):
        p, text = cover(self.o612)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('Linux 6.1 (as Debian ships it)', text)
        self.assertNotIn('[6.1', text.split('\nChanges in v2:')[0])
        self.assertIn('base-debian: linux-source-6.12 6.12.117-1~deb12u1', text)
        self.assertIn('140 passed, 1 failed, 0 skipped', text)

    def table(self, text):
        lines = text.split('\n')
        i = lines.index('Both bases, the same commands (each with its own series line):')
        rows = []
        for l in lines[i + 2:]:
            if not l.strip():
                break
            rows.append(l)
        return rows

    def test_side_by_side_in_line_order(self):
        for o, other in ((self.o61, self.o612), (self.o612, self.o61)):
            p, text = cover(o, other)
            self.assertEqual(p.returncode, 0, p.stderr)
            rows = self.table(text)
            head = rows[0].split()
            self.assertEqual(head, ['6.1.192-3', '6.12.117-1~deb12u1'], rows)
            body = {r[:r.index(')') + 1].strip() if r.strip().startswith('make') else
                    r.split('  ')[1].strip(): r for r in rows[1:]}
            self.assertRegex(body['make vmtest, 2 MB (passed/failed/skipped)'],
                             r'141/0/0 +140/1/0$')
            self.assertRegex(body['make vmtest, 1 GB (passed/failed/skipped)'],
                             r'126/0/2 +not run$')
            seq = [r for r in rows if 'sequential 1e5 new/old wall' in r]
            self.assertEqual(len(seq), 1, rows)
            self.assertRegex(seq[0], r'1\.24 PASS +1\.31 PASS$')
            mem = [r for r in rows if 'bytes/page' in r]
            self.assertEqual(len(mem), 1, rows)
            self.assertRegex(mem[0], r'48 PASS +not run$')

    def test_other_o_without_results_refused(self):
        empty = os.path.join(self.root, 'empty')
        os.makedirs(empty)
        p, text = cover(self.o61, empty)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('OTHER_O=%s has no make vmtest results' % empty, p.stderr)
        self.assertIn('*** BLURB HERE ***', text)

    def test_usage(self):
        p = subprocess.run([sys.executable, COVER, 'x'], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Usage: cover-letter.py', p.stderr)


if __name__ == '__main__':
    unittest.main()
