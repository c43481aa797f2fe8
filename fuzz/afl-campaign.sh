#!/bin/sh
# afl-campaign.sh: run a time-bounded AFL++ campaign on one harness and print
# its summary: the request parser's (fuzz/fuzz_parser.c: make fuzz, make
# fuzz-smoke) or the PROXY protocol parser's (fuzz/fuzz_proxy.c: make
# fuzz-proxy, and fuzz-smoke runs it alongside; see mk/fuzz.mk). Two campaigns
# may run at once when their OUTPUT_DIRs differ.
#
# Usage: fuzz/afl-campaign.sh BINARY CMPLOG_BINARY OUTPUT_DIR SECONDS JOBS DICTIONARY SEEDS_DIR
#
# Contract: on a fresh OUTPUT_DIR, runs every seed through BINARY once (a seed
# that fails fails the campaign: afl-fuzz would skip it silently), then starts
# JOBS afl-fuzz instances (JOBS=1: one instance, with cmplog; JOBS>1: one main
# -M and JOBS-1 secondaries -S, the first secondary with cmplog), each stopped
# by afl-fuzz -V SECONDS and, as a backstop, by timeout(1). Then prints total
# executions, execs/s, edge coverage (edges_found, bitmap_cvg), saved crashes
# and saved hangs from each fuzzer_stats. Exit status: 0 when nothing was
# saved, 1 when a seed failed or a crash or hang was saved (afl-fuzz itself
# exits 0 then), 2 when afl-fuzz could not run.
# Works as root and as an ordinary user with a writable OUTPUT_DIR.
#
# Must not: touch anything outside OUTPUT_DIR, change system settings (CPU
# governor, core_pattern), or leave an afl-fuzz process behind.
set -eu

if [ "$#" -ne 7 ]; then
    echo "usage: $0 BINARY CMPLOG_BINARY OUTPUT_DIR SECONDS JOBS DICTIONARY SEEDS_DIR" >&2
    exit 2
fi
binary=$1 cmplog_binary=$2 output=$3 seconds=$4 jobs=$5 dictionary=$6 seeds=$7

case $seconds in '' | *[!0-9]*) echo "afl-campaign: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac
case $jobs in '' | *[!0-9]*) echo "afl-campaign: JOBS must be a number, not '$jobs'" >&2; exit 2 ;; esac
if [ "$seconds" -lt 1 ] || [ "$jobs" -lt 1 ]; then
    echo "afl-campaign: SECONDS and JOBS must be at least 1" >&2
    exit 2
fi
for target in "$binary" "$cmplog_binary"; do
    if [ ! -x "$target" ]; then
        echo "afl-campaign: $target is not an executable (make fuzz builds it)" >&2
        exit 2
    fi
done
if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "afl-campaign: afl-fuzz not found (Debian package afl++; run: sudo make deps)" >&2
    exit 2
fi

# This machine's needs, set so that afl-fuzz starts the same way as root on a
# fresh CI machine and as an ordinary user who cannot change system settings:
#  - no cpufreq governor to check (VMs, containers) or no right to change it;
#  - core_pattern may pipe to a crash handler (systemd-coredump, apport); the
#    harness abort()s in-process, so afl-fuzz sees every crash anyway;
#  - no curses UI (logs go to files);
#  - bind to a free core when one is free, carry on unbound when not (shared
#    machines, cpusets in containers);
#  - shorter calibration, and cmplog only on new queue entries.
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1
export AFL_TRY_AFFINITY=1
export AFL_FAST_CAL=1
export AFL_CMPLOG_ONLY_NEW=1
unset AFL_NO_AFFINITY 2>/dev/null || true
# Sanitizer reports must end in abort() so afl-fuzz records a crash; no
# symbolizer in the fuzzing loop (reproduce with the libFuzzer build for traces).
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1:malloc_context_size=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=0:symbolize=0

# afl-fuzz's output (-o) is OUTPUT_DIR/sync; logs and pids sit beside it, not
# inside, where instances would take them for other instances to sync from.
sync=$output/sync
rm -rf "$output"
mkdir -p "$sync" "$output/bin"

# The targets run from copies private to this campaign: afl-fuzz 4.04c can
# leave a stopped persistent-mode child behind when -V ends it (seen with the
# cmplog target), and a private path lets us find exactly those processes and
# nobody else's (reap_strays below).
cp "$binary" "$output/bin/target"
cp "$cmplog_binary" "$output/bin/target_cmplog"
bin_dir=$(cd "$output/bin" && pwd -P)
binary=$bin_dir/target
cmplog_binary=$bin_dir/target_cmplog

reap_strays() {
    for proc in /proc/[0-9]*; do
        exe=$(readlink "$proc/exe" 2>/dev/null) || continue
        case $exe in
        "$bin_dir"/*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
        esac
    done
}

# afl-fuzz skips a seed that crashes and fuzzes on with the rest, so a seed
# that breaks an invariant would go unreported: run each one first (outside
# afl-fuzz the harness reads its input from standard input).
bad_seeds=0
for seed in "$seeds"/*; do
    [ -f "$seed" ] || continue
    if ! "$binary" <"$seed" >/dev/null 2>"$output/seed-check.log"; then
        echo "afl-campaign: seed $seed fails the harness:" >&2
        grep -E 'invariant broken|ERROR: AddressSanitizer|runtime error' "$output/seed-check.log" >&2 || true
        bad_seeds=$((bad_seeds + 1))
    fi
done
if [ "$bad_seeds" -gt 0 ]; then
    echo "afl-campaign: FAILED: $bad_seeds seed(s) crash or break an invariant (see above)" >&2
    exit 1
fi
rm -f "$output/seed-check.log"

backstop=$((seconds + 120))

# start_instance NAME [afl-fuzz options]: NAME is "default" when alone, else
# "main" (-M) or "secN" (-S); its log and pid go to OUTPUT_DIR/NAME.{log,pid}.
start_instance() {
    name=$1
    shift
    timeout -k 30 "$backstop" afl-fuzz -i "$seeds" -o "$sync" -x "$dictionary" -m none -t 1000 \
        -V "$seconds" "$@" -- "$binary" >"$output/$name.log" 2>&1 &
    echo $! >"$output/$name.pid"
}

stop_all() {
    for pidfile in "$output"/*.pid; do
        [ -f "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 1
    reap_strays
}
trap 'stop_all; exit 2' INT TERM HUP

if [ "$jobs" -eq 1 ]; then
    names=default
    start_instance default -c "$cmplog_binary"
else
    names=main
    start_instance main -M main
    i=1
    while [ "$i" -lt "$jobs" ]; do
        names="$names sec$i"
        case $i in
        1) start_instance "sec$i" -S "sec$i" -c "$cmplog_binary" ;;
        2) start_instance "sec$i" -S "sec$i" -p explore ;;
        *) start_instance "sec$i" -S "sec$i" -p coe ;;
        esac
        i=$((i + 1))
    done
fi
echo "afl-campaign: $jobs instance(s) for $seconds s; output in $output"

failed=0
for name in $names; do
    status=0
    wait "$(cat "$output/$name.pid")" || status=$?
    rm -f "$output/$name.pid"
    if [ "$status" -ne 0 ]; then
        echo "afl-campaign: afl-fuzz ($name) exited with status $status; last lines of $output/$name.log:" >&2
        tail -n 25 "$output/$name.log" >&2
        failed=1
    fi
done
trap - INT TERM HUP
reap_strays

# Summary from each instance's fuzzer_stats ("key : value" lines).
stat_value() { value=$(sed -n "s/^$1 *: *//p" "$2" | head -n 1); echo "${value:-0}"; }
total_execs=0 total_rate=0 crashes=0 hangs=0 best_edges=0 best_cvg="0.00%" run_time=0 found=0
echo "afl-campaign: instance      executions    execs/s  edges_found  bitmap_cvg  crashes  hangs"
for name in $names; do
    stats=$sync/$name/fuzzer_stats
    [ -f "$stats" ] || continue
    found=$((found + 1))
    execs=$(stat_value execs_done "$stats")
    time=$(stat_value run_time "$stats")
    edges=$(stat_value edges_found "$stats")
    cvg=$(stat_value bitmap_cvg "$stats")
    c=$(stat_value saved_crashes "$stats")
    h=$(stat_value saved_hangs "$stats")
    rate=$((execs / (time > 0 ? time : 1)))
    printf 'afl-campaign: %-10s %13s %10s %12s %11s %8s %6s\n' "$name" "$execs" "$rate" "$edges" "$cvg" "$c" "$h"
    total_execs=$((total_execs + execs))
    total_rate=$((total_rate + rate))
    crashes=$((crashes + c))
    hangs=$((hangs + h))
    [ "$time" -gt "$run_time" ] && run_time=$time
    if [ "$edges" -gt "$best_edges" ]; then
        best_edges=$edges best_cvg=$cvg
    fi
done
if [ "$found" -eq 0 ]; then
    echo "afl-campaign: no fuzzer_stats written under $sync: afl-fuzz did not run" >&2
    exit 2
fi
echo "afl-campaign: summary: $total_execs executions in ${run_time} s, $total_rate execs/s," \
    "edge coverage $best_edges edges (bitmap_cvg $best_cvg), saved crashes $crashes, saved hangs $hangs"

if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    echo "afl-campaign: FAILED: inputs saved in:" >&2
    for name in $names; do
        for file in "$sync/$name"/crashes/id:* "$sync/$name"/hangs/id:*; do
            [ -f "$file" ] && echo "  $file" >&2
        done
    done
    echo "afl-campaign: replay one with: make fuzz-replay FUZZ_REPLAY='<file>' (prints the broken invariant)" >&2
    exit 1
fi
[ "$failed" -eq 0 ] || exit 2
exit 0
