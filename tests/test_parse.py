#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/parse.py against recorded console logs in data/."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PARSE = os.path.join(HERE, '..', 'scripts', 'parse.py')


def verdict(name, *extra):
    out = tempfile.mkdtemp()
    p = subprocess.run([sys.executable, PARSE, '--out', os.path.join(out, 'r'),
                        os.path.join(HERE, 'data', name)] + list(extra),
                       capture_output=True, text=True)
    with open(os.path.join(out, 'r.json')) as f:
        res = json.load(f)
    return p.returncode, p.stdout, res


class ParseTest(unittest.TestCase):
    def test_pass(self):
        rc, out, res = verdict('pass.log')
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.strip().split('\n')[-1], '4 passed, 0 failed')
        paths = [t['path'] for t in res['tests']]
        self.assertEqual(paths, ['hugetlb.hugetlb_shared.shared.reserve_at_mmap',
                                 'hugetlb.hugetlb_shared.shared.release_on_truncate',
                                 'vm.map_hugetlb', 'vm.hugepage-mmap'])
        self.assertEqual(res['plan'], 3)
        self.assertIn('pass    hugetlb:hugetlb_shared:shared.reserve_at_mmap', out)

    def test_fail(self):
        rc, out, res = verdict('fail.log')
        self.assertEqual(rc, 1)
        self.assertTrue(out.rstrip().endswith('3 passed, 1 failed'), out)
        self.assertIn('fail    hugetlb:hugetlb_shared:shared.release_on_truncate', out)
        st = {t['path']: t['status'] for t in res['tests']}
        self.assertEqual(st['hugetlb.hugetlb_shared.shared.release_on_truncate'], 'FAIL')

    def test_skip_fails_unless_allowed(self):
        rc, out, res = verdict('skip.log')
        self.assertEqual(rc, 1, out)
        self.assertTrue(out.rstrip().endswith('2 passed, 0 failed, 2 skipped'), out)
        self.assertIn('SKIP no cgroup2 hugetlb controller', out)
        self.assertIn('ERROR: 2 skipped and not allowed by ALLOW_SKIP: '
                      'hugetlb:hugetlb_shared:shared.release_on_truncate, vm:hugepage-mmap', out)
        rc, out, res = verdict('skip.log', '--allow-skip', 'vm:hugepage-mmap')
        self.assertEqual(rc, 1, out)
        self.assertIn('1 skipped and not allowed', out)
        rc, out, res = verdict('skip.log', '--allow-skip',
                               'vm:hugepage-mmap,hugetlb:hugetlb_shared:*')
        self.assertEqual(rc, 0, out)

    def test_nested_and_interleaved(self):
        rc, out, res = verdict('nested.log')
        self.assertEqual(rc, 0, out)
        # The doubly nested "# # ok 1 inner.case" is output of a case, not a case.
        self.assertTrue(out.rstrip().endswith('4 passed, 0 failed'), out)

    def test_program_crash_outside_cases(self):
        rc, out, res = verdict('crash.log')
        self.assertEqual(rc, 1)
        self.assertIn('fail    hugetlb:hugetlb_shared:<exit> # exit=139', out)
        self.assertTrue(out.rstrip().endswith('4 passed, 1 failed'), out)

    def test_truncated(self):
        rc, out, res = verdict('truncated.log')
        self.assertEqual(rc, 1)
        # The finished cases stay, the running program is named.
        self.assertIn('pass    hugetlb:hugetlb_shared:shared.release_on_truncate', out)
        self.assertIn('crashed vm:map_hugetlb # the guest died while it ran', out)
        self.assertIn('missing <missing> # 1 of 3 planned programs never ran', out)
        self.assertIn('did not finish', out)
        self.assertTrue(out.rstrip().endswith('2 passed, 2 failed'), out)

    def test_panic(self):
        rc, out, res = verdict('panic.log')
        self.assertEqual(rc, 1)
        self.assertIn('SPLAT oops', out)
        self.assertIn('Kernel panic - not syncing', out)
        kinds = {s['kind'] for s in res['splats']}
        self.assertIn('panic', kinds)

    def test_lockdep_fails_even_if_tests_pass(self):
        rc, out, res = verdict('lockdep.log')
        self.assertEqual(rc, 1)
        self.assertIn('SPLAT lockdep at', out)
        self.assertIn('lockdep.log:', out)
        self.assertTrue(out.rstrip().endswith('4 passed, 0 failed'), out)

    def test_hang(self):
        rc, out, res = verdict('hang.log')
        self.assertEqual(rc, 1)
        self.assertIn('TIMEOUT after 900s', out)
        self.assertIn('timeout vm:hugepage-mmap # the run timed out while it ran', out)
        self.assertTrue(out.rstrip().endswith('3 passed, 1 failed'), out)

    def test_cpu_count(self):
        rc, out, res = verdict('onecpu.log')
        self.assertEqual(rc, 1)
        self.assertIn('guest sees 1 CPUs but QEMU was given 2', out)

    def test_missing_plan(self):
        rc, out, res = verdict('noplan.log')
        self.assertEqual(rc, 1)
        self.assertIn('no test plan', out)

    def test_no_tap_at_all(self):
        with tempfile.NamedTemporaryFile('w', suffix='.log', delete=False) as f:
            f.write('Linux version 6.1\nKernel panic - not syncing: No working init found.\n')
        rc, out, res = verdict(f.name)
        self.assertEqual(rc, 1)
        self.assertIn('never started', out)

    def test_unreadable_log(self):
        p = subprocess.run([sys.executable, PARSE, '/nonexistent/console.log'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn('cannot read log', p.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
