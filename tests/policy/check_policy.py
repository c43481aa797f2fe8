#!/usr/bin/env python3
"""check_policy.py: the seccomp allowlists in policy/ against what the live suite uses.

Usage: check_policy.py TRACE_DIR
TRACE_DIR holds strace output written while the live suite ran with
PRONG_TRACE_DIR set (tests/live/tracing.py): trace.<monitor pid> and
roles.<monitor pid>. The check fails when
  - a traced process was killed by SIGSYS (a call the tests need is missing);
  - a role used a system call its policy does not list;
  - a listed call was never used and its reason does not start with "unused:"
    (a dead permission needs a one-line justification);
  - a call marked "unused:" was used after all (the mark would mislead a reviewer),
    except restart_syscall, which strace's own attaching causes.
A connection process that read a request for /__escape/ (the test build's
attack hook, tests/escape/) calls forbidden things on purpose: what it does
after that request, its SIGSYS included, is not counted.
Standard library only.
"""
import collections
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE_POLICY = {"monitor": "monitor.policy", "jail": "jail.policy"}
CALL = re.compile(r"^(\d+) +(?:<\.\.\. (\w+) resumed>|(\w+)\()")
CLONE_RESULT = re.compile(r"^(\d+) +(?:<\.\.\. )?(?:clone|fork|vfork|clone3)\b.*= (\d+)$")
KILLED = re.compile(r"^(\d+) +\+\+\+ killed by (SIG\w+)")
# The request may show as one line or, when another traced process made a
# call in between, as "read(5, <unfinished ...>" then "<... read resumed>...":
# which one strace prints depends on timing, so both count.
ESCAPE_REQUEST = re.compile(r'^(\d+) +(?:(?:read|recvfrom)\(\d+, |<\.\.\. (?:read|recvfrom) resumed>)"[A-Z]+ /__escape/')


def read_policy(name):
    entries = {}
    with open(os.path.join(REPO, "policy", name)) as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 2)
            entries[parts[0]] = parts[2].strip() if len(parts) > 2 else ""
    return entries


def read_trace(path, roles):
    """{role: set of calls}, [(pid, signal)] for processes killed by a signal."""
    role_of = {roles["monitor"]: "monitor", roles["supervisor"]: "jail"}
    filtered = {roles["supervisor"]: True}  # attached after the jail filter was installed
    monitor_lines = []
    used = collections.defaultdict(set)
    killed = []
    attacking = set()
    with open(path, errors="replace") as f:
        for line in f:
            escape = ESCAPE_REQUEST.match(line)
            if escape:
                attacking.add(escape.group(1))
            clone = CLONE_RESULT.match(line)
            if clone and clone.group(1) in role_of:
                role_of[clone.group(2)] = role_of[clone.group(1)]
                filtered[clone.group(2)] = filtered.get(clone.group(1), False)
            dead = KILLED.match(line)
            if dead and dead.group(2) in ("SIGSYS",) and dead.group(1) not in attacking:
                killed.append((dead.group(1), dead.group(2)))
            call = CALL.match(line)
            if not call:
                continue
            pid, name = call.group(1), call.group(2) or call.group(3)
            if pid in attacking:
                continue
            role = role_of.get(pid)
            if role == "monitor":
                monitor_lines.append(name)
                if "PR_SET_SECCOMP" in line:
                    monitor_lines.clear()  # the filter starts here: count what follows
            elif role == "jail":
                used["jail"].add(name)
    used["monitor"].update(monitor_lines)
    return used, killed


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    trace_dir = sys.argv[1]
    used = collections.defaultdict(set)
    killed, traces = [], 0
    for name in sorted(os.listdir(trace_dir)):
        if not name.startswith("roles."):
            continue
        monitor = name.split(".", 1)[1]
        roles = {}
        with open(os.path.join(trace_dir, name)) as f:
            for line in f:
                role, pid = line.split()
                roles[role] = pid
        trace = os.path.join(trace_dir, f"trace.{monitor}")
        if not os.path.exists(trace):
            continue
        traces += 1
        trace_used, trace_killed = read_trace(trace, roles)
        for role, calls in trace_used.items():
            used[role] |= calls
        killed += trace_killed
    failures = []
    if traces == 0:
        failures.append(f"no traces in {trace_dir}: run the live suite with PRONG_TRACE_DIR set")
    for pid, signal in killed:
        failures.append(f"process {pid} was killed by {signal}: the tests need a call its policy lacks")
    for role, policy_name in ROLE_POLICY.items():
        policy = read_policy(policy_name)
        calls = used[role]
        for call in sorted(calls - set(policy)):
            failures.append(f"{policy_name}: {call} is used but not listed")
        for call, reason in policy.items():
            marked_unused = reason.startswith("unused:")
            if call not in calls and not marked_unused:
                failures.append(f"{policy_name}: {call} is never used by the live suite; justify it with "
                                f"'unused: ...' or remove it")
            # restart_syscall appears when strace attaches mid-wait: an artefact of tracing.
            if call in calls and marked_unused and call != "restart_syscall":
                failures.append(f"{policy_name}: {call} is marked unused but the live suite uses it")
        print(f"{policy_name}: {len(policy)} allowed, {len(calls & set(policy))} used by the live suite, "
              f"{sum(1 for r in policy.values() if r.startswith('unused:'))} justified as unused")
    for failure in failures:
        print("FAIL " + failure)
    print(f"policy check: {traces} traced servers, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
