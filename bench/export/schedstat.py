#!/usr/bin/env python3
"""bench/export/schedstat.py: where one process's time went, from the
scheduler's own events.

    perf record -e sched:sched_switch,sched:sched_wakeup -a -o DATA -- CMD
    perf script -i DATA -F pid,time,event,trace | schedstat.py PID [T0 T1]

For the thread PID (Prosody's only thread) it sums, over the window T0..T1
(perf timestamps, seconds; default: from the first to the last event):

  running   on a CPU;
  idle      asleep, waiting for something to do (for a server: a request);
  starved   ready to run but waiting for a CPU (other processes had both
            cores: the machine's load, not the client's doing).

On a shared machine "idle" is the figure that the client can change.
"""
import re
import sys

pid = int(sys.argv[1])
t0 = float(sys.argv[2]) if len(sys.argv) > 2 else None
t1 = float(sys.argv[3]) if len(sys.argv) > 3 else None

sw = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> .*next_pid=(\d+)")
wk = re.compile(r"pid=(\d+)")
state = None  # "run", "idle", "starved"
since = None
total = {"run": 0.0, "idle": 0.0, "starved": 0.0}
first = last = None


def account(now):
    global since
    if state is not None and since is not None:
        a = since if t0 is None else max(since, t0)
        b = now if t1 is None else min(now, t1)
        if b > a:
            total[state] += b - a
    since = now


for line in sys.stdin:
    parts = line.split(None, 3)
    if len(parts) < 4:
        continue
    try:
        now = float(parts[1].rstrip(":"))
    except ValueError:
        continue
    ev, rest = parts[2], parts[3]
    if first is None:
        first = now
    last = now
    if ev.startswith("sched:sched_switch"):
        m = sw.search(rest)
        if not m:
            continue
        prev, pstate, nxt = int(m.group(1)), m.group(2), int(m.group(3))
        if prev == pid:
            account(now)
            state = "starved" if pstate.startswith("R") else "idle"
        if nxt == pid:
            account(now)
            state = "run"
    elif ev.startswith("sched:sched_wakeup"):
        m = wk.search(rest)
        if m and int(m.group(1)) == pid and state == "idle":
            account(now)
            state = "starved"
if last is not None:
    account(t1 if t1 is not None else last)
span = sum(total.values())
if span <= 0:
    print("no events for pid %d" % pid)
    sys.exit(1)
print(
    "running %.2f s (%.1f%%), idle %.2f s (%.1f%%), starved %.2f s (%.1f%%) of %.2f s"
    % (
        total["run"], 100 * total["run"] / span,
        total["idle"], 100 * total["idle"] / span,
        total["starved"], 100 * total["starved"] / span,
        span,
    )
)
