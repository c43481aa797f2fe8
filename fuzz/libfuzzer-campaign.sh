#!/bin/sh
# libfuzzer-campaign.sh: run a time-bounded libFuzzer campaign on the parser
# harness and print libFuzzer's final statistics (make fuzz-libfuzzer).
#
# Usage: fuzz/libfuzzer-campaign.sh BINARY OUTPUT_DIR SECONDS DICTIONARY SEEDS_DIR
#
# Contract: fuzzes from SEEDS_DIR (read only) into a fresh OUTPUT_DIR/corpus
# for SECONDS (-max_total_time, with timeout(1) as a backstop), with the
# dictionary, inputs up to the largest head the parser can see (request line
# 8 KiB + field block 16 KiB, plus a margin). Prints the final coverage line
# and libFuzzer's stat:: lines. Exit status: 0 when no crash, leak or timeout
# was found, 1 when one was (its input is saved as OUTPUT_DIR/crash-*,
# leak-*, timeout-*) or when the timeout(1) backstop had to stop it, 2 for
# usage errors.
#
# Must not: write outside OUTPUT_DIR, or add to SEEDS_DIR.
set -eu

if [ "$#" -ne 5 ]; then
    echo "usage: $0 BINARY OUTPUT_DIR SECONDS DICTIONARY SEEDS_DIR" >&2
    exit 2
fi
binary=$1 output=$2 seconds=$3 dictionary=$4 seeds=$5
case $seconds in '' | *[!0-9]*) echo "libfuzzer-campaign: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac
if [ "$seconds" -lt 1 ]; then
    echo "libfuzzer-campaign: SECONDS must be at least 1" >&2
    exit 2
fi

rm -rf "$output"
mkdir -p "$output/corpus"
log=$output/libfuzzer.log
echo "libfuzzer-campaign: fuzzing for $seconds s with $binary; log in $log"

status=0
timeout -k 30 $((seconds + 120)) "$binary" -max_total_time="$seconds" -dict="$dictionary" \
    -max_len=26000 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$output/" "$output/corpus" "$seeds" >"$log" 2>&1 || status=$?

# The last coverage line ("#N DONE cov: ... ft: ... corp: ... exec/s: ...") and the stats.
grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 | sed 's/^/libfuzzer-campaign: /'
grep '^stat::' "$log" | sed 's/^/libfuzzer-campaign: /' || true

if [ "$status" -ne 0 ]; then
    echo "libfuzzer-campaign: FAILED (status $status); the report:" >&2
    grep -nE 'invariant broken|ERROR: (Address|Undefined|Leak)Sanitizer|runtime error|SUMMARY|Test unit written|deadly signal|timeout' "$log" >&2 || true
    ls "$output"/crash-* "$output"/leak-* "$output"/timeout-* "$output"/oom-* 2>/dev/null | sed 's/^/  saved: /' >&2 || true
    exit 1
fi
exit 0
