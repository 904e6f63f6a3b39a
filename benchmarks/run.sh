#!/usr/bin/env bash
# Runs one benchmark suite and prints its table (see BENCHMARKS.md at the repository root).
#
#   benchmarks/run.sh heap [--quick] [--huge] [--dry]   timer structures: ours vs their peers (JMH, -prof gc)
#   benchmarks/run.sh mux  [--quick] [--dry]            the multiplexer vs ScheduledThreadPoolExecutor
#   benchmarks/run.sh sched [--quick] [--dry]           InstanceScheduler vs ScheduledThreadPoolExecutor and
#                                                       Netty's HashedWheelTimer: schedule/cancel, fire, re-arm
#   benchmarks/run.sh bridge [--quick] [--fuse-only|--cuse-only]
#                                               one ioctl through the kernel, valarm-bridge vs a libfuse no-op
#                                               floor: FUSE on the host (JMH BridgeIoctlBenchmark) and CUSE in
#                                               the qemu guest (GET_TIME, C load client, QemuCuseRoundTripTest)
#                                               --quick: the benchmark's own settings (1 fork, 3 x 1 s + 5 x 1 s)
#                                               and 3 s CUSE cells, ~5 min; full: 2 forks and 10 s CUSE cells.
#                                               Needs root, /dev/fuse, gcc, libfuse3-dev (pkg-config fuse3) and,
#                                               for the CUSE half, the qemu tier's tools; it stops with exit 3
#                                               and says what is missing rather than skip a half.
#
# --quick  one fork, 2 x 0.5 s warm-up, 4 x 0.5 s measurement, sizes 65536 and 1048576 (idle poll at
#          1048576 and build + drain at 65536 only), reschedule mixes 100 and 50 % later, and issue 3's
#          losing arities heap2/heap8 beside heap4: 123 cells, about 10 minutes on 2 cores
# (full)   the annotations' settings: 2 forks, 5 x 1 s warm-up, 5 x 1 s measurement; sizes 1024, 65536 and
#          1048576 (idle poll at 1048576, build + drain at 65536 and 1048576), mixes 100 and 50 % later,
#          ours = hybrid, hybrid-tick, heap4, heap4-tick (no losing variants): 150 cells = 300 forks of
#          10 s of iterations plus about 1.3 s of JVM start and set-up each (the --dry run's time per
#          cell: 150 cells in 202 s plus 25 s of footprint at load 3.5-10, 2026-12-02), so about 57 minutes
#          on 2 cores (about an hour with the jar build and the footprint)
# --huge   adds 10485760 entries for the primitive structures (ours, Agrona), with a 12 GB heap
# --dry    runs every cell of the chosen grid (full unless --quick) once and briefly (1 fork, no warm-up,
#          one 100 ms iteration) to check that the whole grid runs; numbers meaningless, written under
#          benchmarks/results/tmp/ (not committed); about 4 minutes for the full grid
#
# Builds benchmarks/target/benchmarks.jar if it is missing or older than a source. Writes the JMH JSON,
# the machine description and table.md under benchmarks/results/<suite>-<quick|full>/ (the previous
# run of the same suite and mode is replaced), and prints the table.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
usage() { echo "usage: benchmarks/run.sh heap|mux|sched|bridge [--quick] [--huge] [--dry] [--fuse-only|--cuse-only]" >&2; exit 2; }

suite="${1:-}"
[ $# -gt 0 ] && shift
quick=0
huge=0
dry=0
bridge_halves="fuse cuse"
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --huge) huge=1 ;;
    --dry) dry=1 ;;
    --fuse-only) [ "$suite" = bridge ] || usage; bridge_halves="fuse" ;;
    --cuse-only) [ "$suite" = bridge ] || usage; bridge_halves="cuse" ;;
    *) usage ;;
  esac
done
case "$suite" in heap|mux|sched|bridge) ;; *) usage ;; esac

# The bridge suite talks to the kernel: say exactly what is missing, before anything runs or is replaced.
if [ "$suite" = bridge ]; then
  missing=()
  [ "$(id -u)" = 0 ] || missing+=("root (mounting FUSE and opening /dev/cuse need CAP_SYS_ADMIN; this is uid $(id -u))")
  command -v gcc >/dev/null 2>&1 || missing+=("gcc (apt-get install gcc): the floors and the load client are compiled")
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists fuse3; then
    missing+=("libfuse 3 (apt-get install pkg-config libfuse3-dev): the floor servers are libfuse programs")
  fi
  case " $bridge_halves " in *" fuse "*)
    [ -c /dev/fuse ] || missing+=("/dev/fuse (no FUSE in this kernel, or not visible in this container)") ;;
  esac
  case " $bridge_halves " in *" cuse "*)
    command -v mvn >/dev/null 2>&1 || missing+=("mvn: the CUSE half runs as valarm-bridge's QemuCuseRoundTripTest")
    bash "$root/valarm-rtc-linux/src/test/qemu/run-guest-tests.sh" --check >/dev/null 2>&1 \
      || missing+=("the qemu tier's tools (run valarm-rtc-linux/src/test/qemu/run-guest-tests.sh --check for the list)") ;;
  esac
  if [ ${#missing[@]} -gt 0 ]; then
    echo "benchmarks/run.sh bridge: cannot run ($bridge_halves); missing:" >&2
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 3
  fi
fi

jar="$here/target/benchmarks.jar"
jmh_lock=()
if [ ! -f "$jar" ] || [ -n "$(find "$here/src" "$here/pom.xml" "$root/pom.xml" "$root/valarm-api/src/main" \
      "$root/valarm-impl/src/main" -newer "$jar" -print -quit)" ]; then
  echo "building $jar ..."
  (cd "$root" && mvn -B -q -pl benchmarks -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip)
fi

if [ $quick = 1 ]; then mode=quick; else mode=full; fi
[ "${VALARM_BENCH_SMOKE:-0}" = 1 ] && mode=smoke
[ $dry = 1 ] && mode="$mode-dry"
out="$here/results/$suite-$mode"
case "$mode" in smoke|*-dry) out="$here/results/tmp/$suite-$mode" ;; esac   # not committed (see .gitignore)
if [ "$suite" = bridge ] && [ "$bridge_halves" != "fuse cuse" ]; then
  rm -f "$out/$bridge_halves.json" "$out/$bridge_halves-run.json" "$out/run.log"   # one half: keep the other's
else
  rm -rf "$out"
fi
mkdir -p "$out"
log="$out/run.log"

# JMH settings: the annotations hold the full settings (2 forks, 5 x 1 s warm-up, 5 x 1 s measurement);
# --quick overrides them.
if [ "${VALARM_BENCH_SMOKE:-0}" = 1 ]; then
  # a plumbing check of this script (seconds per cell, numbers meaningless): VALARM_BENCH_SMOKE=1
  jmh_mode=(-f 1 -wi 0 -i 1 -r 100ms)
  sizes="1024"
  small_sizes="1024"
  idle_sizes="1024"
  build_sizes="1024"
  mixes="50"
  jmh_lock=(-Djmh.ignoreLock=true)
elif [ $quick = 1 ]; then
  jmh_mode=(-f 1 -wi 2 -w 500ms -i 4 -r 500ms)
  sizes="65536,1048576"
  small_sizes="65536"
  idle_sizes="1048576"
  build_sizes="65536"
  mixes="100,50"
else
  jmh_mode=()
  sizes="1024,65536,1048576"
  small_sizes="1024,65536"
  idle_sizes="1048576"
  build_sizes="65536,1048576"
  mixes="100,50"
fi
if [ $dry = 1 ]; then
  jmh_mode=(-f 1 -wi 0 -i 1 -r 100ms)
  jmh_lock=(-Djmh.ignoreLock=true)
fi

cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
jdk="$(java -version 2>&1 | head -2 | tail -1)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"

jmh() {
  local name="$1"
  shift
  echo "== $name: $*" | tee -a "$log"
  local attempt=0
  while true; do
    local mode_args=("${jmh_mode[@]}")
    if [ -n "${jmh_mode_override:-}" ]; then
      read -ra mode_args <<<"$jmh_mode_override"   # one benchmark's own settings (JMH takes an option once)
    fi
    if java "${jmh_lock[@]}" -jar "$jar" "$@" "${mode_args[@]}" -prof gc -foe true \
        -jvmArgsPrepend "-Dvalarm.bench.aux=$out/aux.jsonl" \
        -rf json -rff "$out/$name.json" >"$out/$name.out" 2>&1; then
      cat "$out/$name.out" >>"$log"
      rm -f "$out/$name.out"
      # the JSON records the JVM arguments, which name this checkout's path: keep it out of the results
      sed -i "s|$root|<repo>|g" "$out/$name.json"
      return 0
    fi
    cat "$out/$name.out" >>"$log"
    # JMH refuses to run while another JMH holds /tmp/jmh.lock (another benchmark on this machine): wait.
    if grep -q 'Unable to acquire the JMH lock' "$out/$name.out" && [ $attempt -lt 360 ]; then
      [ $attempt = 0 ] && echo "   another JMH run holds /tmp/jmh.lock; waiting for it" | tee -a "$log"
      attempt=$((attempt + 1))
      rm -f "$out/$name.out"
      sleep 10
      continue
    fi
    rm -f "$out/$name.out"
    echo "JMH failed for $name (see $log)" >&2
    tail -30 "$log" >&2
    exit 1
  done
}

heap_suite() {
  # ours: the hybrid queue (the device's structure) and the 4-ary heap it replaced, each exact and tick-rounded;
  # the quick grid adds issue 3's losing arities (d = 2, 8) so that its arity comparison stays reproducible
  local heaps="hybrid,hybrid-tick,heap4,heap4-tick"
  if [ $quick = 1 ]; then heaps="$heaps,heap2,heap8"; fi
  jmh replace ReplaceBenchmark -p impl="$heaps,stpe,nettyDpq,agronaWheel,nettyHwt" -p size="$sizes"
  jmh replace-pq ReplaceBenchmark -p impl=pq -p size="$small_sizes"
  jmh reschedule RescheduleBenchmark -p impl="$heaps,stpe,nettyDpq,agronaWheel,nettyHwt" -p size="$sizes" \
      -p laterPct="$mixes"
  jmh reschedule-pq RescheduleBenchmark -p impl=pq -p size="$small_sizes" -p laterPct="$mixes"
  jmh queue 'dev.valarm.bench.(Hold|Burst)Benchmark' \
      -p impl="$heaps,pq,stpeQueue,nettyDpq,agronaWheel" -p size="$sizes"
  # idle poll and build + drain are outside the issue's targets: the quick grid runs them at one size
  jmh idle IdlePollBenchmark -p impl="$heaps,pq,stpeQueue,nettyDpq,agronaWheel" -p size="$idle_sizes"
  jmh build BuildDrainBenchmark -p impl="$heaps,pq,stpeQueue,nettyDpq,agronaWheel" -p size="$build_sizes"
  if [ $huge = 1 ]; then
    jmh huge 'dev.valarm.bench.(Replace|Reschedule|Hold|Burst|IdlePoll|BuildDrain)Benchmark' \
        -p impl="hybrid,hybrid-tick,heap4,heap4-tick,agronaWheel" -p size=10485760 -p laterPct=50 \
        -jvmArgsAppend "-Xms12g -Xmx12g -XX:+UseParallelGC"
  fi
  echo "== footprint" | tee -a "$log"
  java -XX:+UseSerialGC -Xms4g -Xmx4g -cp "$jar" dev.valarm.bench.Footprint 1048576 "$out/footprint.json" \
      2>>"$log" | tee -a "$log"
}

mux_suite() {
  jmh setclear-1 MuxSetClearBenchmark -t 1
  jmh setclear-2 MuxSetClearBenchmark -t 2
  # the same operation with every instance in cache (the CPU part of the cost), and what a miss costs here
  jmh setclear-1-cached MuxSetClearBenchmark -t 1 -p instances=1000
  # a wakeup type: every CLEAR and SET is a change the dispatcher applies to the timer structure
  jmh setclear-1-wakeup MuxSetClearBenchmark -t 1 -p impl=valarm -p type=ELAPSED_REALTIME_WAKEUP
  # the dependent loads a set/clear cannot avoid, over the same population
  jmh floor MuxFloorBenchmark -t 1
  jmh memory MemoryLatencyBenchmark
  echo "== lateness" | tee -a "$log"
  java -Xms1g -Xmx1g -cp "$jar" dev.valarm.bench.MuxLateness "$out/lateness.json" $([ $mode != full ] && echo --quick) \
      2>>"$log" | tee -a "$log"
}

sched_suite() {
  jmh sched-churn SchedulerChurnBenchmark -p size="$sizes"
  jmh sched-fire SchedulerFireBenchmark
  # One periodic run takes ~100 us, so the quick grid's 2 x 0.5 s of warm-up is ~10 000 runs: too few for C2 to
  # compile the re-arm path (it then allocates what escape analysis would remove). Warm it like the full grid.
  if [ $mode = quick ]; then
    jmh_mode_override="-f 1 -wi 5 -w 1s -i 4 -r 500ms" jmh sched-periodic SchedulerPeriodicBenchmark
  else
    jmh sched-periodic SchedulerPeriodicBenchmark
  fi
}

bridge_suite() {
  # the benchmark jar holds valarm-bridge too: rebuild when its sources are newer
  if [ -n "$(find "$root/valarm-bridge/src/main" "$root/valarm-bridge/pom.xml" -newer "$jar" -print -quit)" ]; then
    echo "building $jar (valarm-bridge changed) ..."
    (cd "$root" && mvn -B -q -pl benchmarks -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip)
  fi
  local forks=() cuse_seconds=3
  # --quick keeps the benchmark's own annotations (one fork, 3 x 1 s + 5 x 1 s): there is no grid to shorten
  [ $mode = quick ] && jmh_mode=()
  if [ $mode = full ]; then forks=(-f 2); cuse_seconds=10; fi
  [ $mode = smoke ] && cuse_seconds=1
  case " $bridge_halves " in *" fuse "*)
    local fuse_started fuse_load
    fuse_started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    fuse_load="$(cut -d' ' -f1-3 /proc/loadavg)"
    jmh fuse BridgeIoctlBenchmark "${forks[@]}"
    # when and at what load this half ran (machine.json is the whole run's; a --cuse-only rerun replaces it)
    printf '{"started":"%s","finished":"%s","loadavgBefore":"%s","loadavgAfter":"%s"}\n' "$fuse_started" \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$fuse_load" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out/fuse-run.json"
    # keep the scores, percentiles and -prof gc figures; drop SampleTime's raw histograms (megabytes)
    python3 - "$out/fuse.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
for r in rows:
    r["primaryMetric"].pop("rawDataHistogram", None)
json.dump(rows, open(sys.argv[1], "w"), indent=1)
PY
    ;;
  esac
  case " $bridge_halves " in *" cuse "*)
    echo "== cuse: QemuCuseRoundTripTest, ${cuse_seconds} s cells" | tee -a "$log"
    if ! (cd "$root" && mvn -B -q -pl valarm-bridge -am test -Dtest=QemuCuseRoundTripTest \
          -Dsurefire.failIfNoSpecifiedTests=false -Dvalarm.bench.cuse.out="$out/cuse.json" \
          -Dvalarm.bench.cuse.seconds=$cuse_seconds) >>"$log" 2>&1; then
      echo "the CUSE half failed (see $log and valarm-bridge/target/qemu/bench-results/console.log)" >&2
      tail -30 "$log" >&2
      exit 1
    fi
    ;;
  esac
}

"${suite}_suite"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
cat >"$out/machine.json" <<JSON
{"suite":"$suite","mode":"$mode","started":"$started","finished":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "commit":"$commit","nproc":$(nproc),"cpu":"$cpu_model","jdk":"$jdk",
 "loadavgBefore":"$load_before","loadavgAfter":"$load_after",
 "command":"benchmarks/run.sh $suite$([ $quick = 1 ] && echo ' --quick')$([ $huge = 1 ] && echo ' --huge')$([ $dry = 1 ] && echo ' --dry')"}
JSON

{
  echo "Run $started .. $(date -u +%H:%M:%SZ) UTC, commit $commit, $(nproc) x $cpu_model, $jdk"
  echo "load average (1/5/15 min) before: $load_before, after: $load_after"
  echo
  python3 "$here/scripts/report.py" "$suite" "$out"
} >"$out/table.md"
cat "$out/table.md"
