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

    def inline(self, text, tests=None, extra=()):
        d = tempfile.mkdtemp()
        log = os.path.join(d, 'console.log')
        with open(log, 'w') as f:
            f.write(text)
        if tests is not None:
            with open(os.path.join(d, 'console.tests.log'), 'w') as f:
                f.write(tests)
        return verdict(log, *extra)

    HEAD = ('TAP version 13\n1..1\n# selftests: hugetlb: hugetlb_shared\n'
            '# TAP version 13\n')
    TAIL = 'vmtest: tainted=0\nvmtest: done\n'

    def test_nested_plan_not_met_with_exit_0(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD +
                                   '# 1..11\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n' + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('missing hugetlb:hugetlb_shared:<missing> # 10 of 11 planned cases never ran', out)
        self.assertTrue(out.rstrip().endswith('1 passed, 1 failed'), out)

    def test_more_results_than_plan(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD +
                                   '# 1..1\n# ok 1 shared.a\n# ok 2 shared.b\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n' + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('2 results for plan 1..1', out)

    def test_zero_passed_is_no_pass(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD +
                                   '# 1..0 # SKIP no free huge pages\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared # SKIP\n' + self.TAIL,
                                   extra=('--allow-skip', '*'))
        self.assertEqual(rc, 1, out)
        self.assertIn('skip    hugetlb:hugetlb_shared # SKIP no free huge pages', out)
        self.assertIn('ERROR: no test passed', out)

    def test_splat_inside_a_test_line_of_a_shared_console(self):
        rc, out, res = self.inline(self.HEAD + '# 1..1\n'
                                   '# #            OK  shared.a[   12.5] WARNING: CPU: 0 PID: 5 at mm/hugetlb.c:4908 f+0x1/0x2\n'
                                   '# ok 1 shared.a\nok 1 selftests: hugetlb: hugetlb_shared\n' + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('SPLAT WARNING at', out)

    def test_report_whose_first_line_is_lost(self):
        rc, out, res = self.inline('boot\nCall Trace:\n <TASK>\n ? f+0x1/0x2\n'
                                   '---[ end trace 0000000000000000 ]---\n',
                                   tests=self.HEAD + '# 1..1\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n' + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('SPLAT report (first line lost) at', out)
        self.assertEqual(len(res['splats']), 1, res['splats'])

    def test_one_report_counts_once(self):
        rc, out, res = self.inline('------------[ cut here ]------------\n'
                                   'WARNING: CPU: 1 PID: 9 at mm/hugetlb.c:1 f+0x1/0x2\n'
                                   'Modules linked in:\nCall Trace:\n <TASK>\n </TASK>\n'
                                   '---[ end trace 0000000000000000 ]---\n',
                                   tests=self.HEAD + '# 1..1\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n' + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertEqual([s['kind'] for s in res['splats']], ['WARNING'], res['splats'])

    def test_taint_without_report(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD + '# 1..1\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n'
                                   'vmtest: tainted=576\nvmtest: done\n')
        self.assertEqual(rc, 1, out)
        self.assertIn('kernel tainted: 576 = U (USER), W (WARN)', out)

    def test_leftover_state_fails(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD + '# 1..1\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\n'
                                   'vmtest: LEFTOVER new: mount /tmp/hugetlb_selftest.x\n'
                                   + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('the run changed the guest: new: mount /tmp/hugetlb_selftest.x', out)

    def test_two_channel_run_must_report_taint(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD + '# 1..1\n# ok 1 shared.a\n'
                                   'ok 1 selftests: hugetlb: hugetlb_shared\nvmtest: done\n')
        self.assertEqual(rc, 1, out)
        self.assertIn('did not report /proc/sys/kernel/tainted', out)

    def test_runner_timeout_names_the_running_case(self):
        rc, out, res = self.inline('boot\n', tests=self.HEAD + '# 1..3\n# ok 1 shared.a\n'
                                   '# #  RUN           shared.b ...\n#\n'
                                   'not ok 1 selftests: hugetlb: hugetlb_shared # TIMEOUT 300 seconds\n'
                                   + self.TAIL)
        self.assertEqual(rc, 1, out)
        self.assertIn('timeout hugetlb:hugetlb_shared:shared.b # TIMEOUT 300 seconds', out)
        self.assertIn('missing hugetlb:hugetlb_shared:<missing> # 1 of 3 planned cases never ran', out)
        self.assertTrue(out.rstrip().endswith('1 passed, 2 failed'), out)

    def test_unreadable_log(self):
        p = subprocess.run([sys.executable, PARSE, '/nonexistent/console.log'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn('cannot read log', p.stderr)


class RealConsoleTest(unittest.TestCase):
    """Logs of real guests (tests/capture-fixtures.sh), kernel console and
    tests log side by side."""

    def real(self, name, *extra):
        return verdict(os.path.join('real', name + '.log'), *extra)

    def last(self, out):
        return out.rstrip().split('\n')[-1]

    def test_clean(self):
        rc, out, res = self.real('clean')
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.last(out), '12 passed, 0 failed')
        self.assertEqual(res['tainted'], 0)
        self.assertEqual(res['splats'], [])

    def test_all_skipped(self):
        rc, out, res = self.real('all-skipped')
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.last(out), '0 passed, 0 failed, 3 skipped')
        self.assertIn('ERROR: 3 skipped and not allowed by ALLOW_SKIP', out)
        self.assertIn('ERROR: no test passed', out)
        # Allowing the skips does not make a run with nothing run green.
        rc, out, res = self.real('all-skipped', '--allow-skip', '*')
        self.assertEqual(rc, 1, out)
        self.assertIn('ERROR: no test passed', out)

    def test_panic_mid_program(self):
        rc, out, res = self.real('panic-mid-program')
        self.assertEqual(rc, 1, out)
        # The cases that finished stay, the running one is named crashed.
        self.assertIn('pass    hugetlb:hugetlb_races:races.threads_fault_punch_truncate', out)
        self.assertRegex(out, r'crashed hugetlb:hugetlb_races:races\.\w+ # the guest died while it ran')
        self.assertIn('SPLAT panic', out)
        self.assertIn('did not finish', out)

    def test_program_timeout(self):
        rc, out, res = self.real('program-timeout')
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r'timeout hugetlb:hugetlb_races:races\.\w+ # TIMEOUT 4 seconds')
        self.assertIn('pass    hugetlb:hugetlb_races:races.threads_fault_punch_truncate', out)
        self.assertIn('hugetlb:hugetlb_races: timeout after', out)
        st = {t['path']: t['status'] for t in res['tests']}
        self.assertIn('ERROR', st.values())

    def test_plan_mismatch(self):
        rc, out, res = self.real('plan-mismatch')
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r'crashed hugetlb:hugetlb_races:races\.\w+ # program ended with exit=137')
        self.assertRegex(out, r'missing hugetlb:hugetlb_races:<missing> # \d of 4 planned cases never ran')

    def test_tainted_without_splat(self):
        rc, out, res = self.real('tainted-no-splat')
        self.assertEqual(rc, 1, out)
        self.assertEqual(res['splats'], [])
        self.assertIn('ERROR: kernel tainted: 64 = U (USER)', out)
        self.assertEqual(self.last(out), '1 passed, 0 failed')

    def test_warning_interleaved(self):
        # Tests on the kernel's console of the unpatched base, which warns
        # on every hugetlb VMA split.
        rc, out, res = self.real('warning-interleaved')
        self.assertEqual(rc, 1, out)
        self.assertIn('SPLAT WARNING', out)
        self.assertIn('kernel tainted: 512 = W (WARN)', out)
        n = len(res['splats'])
        # The same console with every report's first two lines printed onto
        # the end of the line before (a printk that starts mid-line): not one
        # report may get lost.
        lines = open(os.path.join(HERE, 'data', 'real', 'warning-interleaved.log')).read().split('\n')
        glued = []
        for l in lines:
            if glued and ('[ cut here ]' in l or l.startswith('WARNING: ')):
                glued[-1] += l
            else:
                glued.append(l)
        self.assertGreater(len(lines) - len(glued), n)
        d = tempfile.mkdtemp()
        path = os.path.join(d, 'glued.log')
        with open(path, 'w') as f:
            f.write('\n'.join(glued))
        rc, out, res = verdict(path)
        self.assertEqual(rc, 1, out)
        self.assertEqual(len(res['splats']), n, out)

    def test_sysrq_dump_is_not_a_report(self):
        # vmtest.sysrq=3:wl with the tests on the console: call traces and
        # registers of dumps asked for, and the tests log beside it empty.
        rc, out, res = self.real('sysrq-dump')
        self.assertEqual(rc, 0, out)
        self.assertEqual(res['splats'], [], out)
        self.assertTrue(out.rstrip().endswith('20 passed, 0 failed'), out)
        lines = open(os.path.join(HERE, 'data', 'real', 'sysrq-dump.log')).read().split('\n')
        self.assertTrue(any('NMI backtrace for cpu' in l for l in lines))
        # A report inside a dump still is one.
        at = next(i for i, l in enumerate(lines) if l.startswith('NMI backtrace for cpu'))
        warned = lines[:at + 1] + ['WARNING: CPU: 0 PID: 1 at mm/hugetlb.c:1 f+0x1/0x2'] + lines[at + 1:]
        d = tempfile.mkdtemp()
        path = os.path.join(d, 'console.log')
        with open(path, 'w') as f:
            f.write('\n'.join(warned))
        with open(os.path.join(d, 'console.tests.log'), 'w'):
            pass
        rc, out, res = verdict(path)
        self.assertEqual(rc, 1, out)
        self.assertEqual([s['kind'] for s in res['splats']], ['WARNING'], out)

if __name__ == '__main__':
    unittest.main(verbosity=2)
