#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tee-times.py LOG: copy stdin to LOG unchanged and write LOG.times, the
seconds since start at which each line arrived, so the verdict can give test
durations while the console log stays exactly what the guest printed."""
import sys
import time

log, times = open(sys.argv[1], 'wb'), open(sys.argv[1] + '.times', 'w')
t0 = time.monotonic()
for line in sys.stdin.buffer:
    log.write(line)
    log.flush()
    times.write('%.3f\n' % (time.monotonic() - t0))
