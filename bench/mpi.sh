#!/usr/bin/env bash
# Data-parallel training over MPI (issue 19), measured on this machine:
#
#   1. the R52 recipe (configs/reuters.yaml) and the IMDB recipe
#      (configs/imdb-ngrams.yaml), one process (the default build) and
#      mpirun -np 2 (the build with -tags mpi), alternating, REPS times
#      each: test accuracy, wall time, peak RSS (of rank 0 under mpirun);
#      the model files of the mpirun runs must be byte-identical;
#   2. mpirun -np 4 --oversubscribe on the R52 recipe with one rank killed
#      (SIGKILL) and one stopped (SIGSTOP) in the middle of training: how
#      long the job takes to end, its exit status, the sentence naming the
#      rank, and whether the model file written before is intact;
#   3. the time of dlc's sum over MPI (bench/mpiallreduce) of the weights
#      of models of the recipes' sizes, under mpirun -np 2, for the paper
#      estimate in the README.
#
#   bash bench/mpi.sh            # REPS=3 (R52) and IMDB_REPS=2 by default
#   ONLY=failures bash bench/mpi.sh   # parts 2 and 3 alone
#
# Needs Open MPI (apt-get install -y openmpi-bin libopenmpi-dev) and the
# datasets (DLC_DATA, default /tmp/dlcdata: dlc fetch imdb, reuters). Runs
# as root with Open MPI's two allow-root variables. Works in $BENCH_DIR
# (default /tmp/dlc-bench-mpi). The machine has 2 cores shared with other
# work: two processes share them with everything else, so the wall times
# say what the exchange costs here, not what a cluster gains.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${BENCH_DIR:-/tmp/dlc-bench-mpi}
reps=${REPS:-3}
imdb_reps=${IMDB_REPS:-2}
export DLC_DATA=${DLC_DATA:-/tmp/dlcdata}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v mpirun >/dev/null || { echo "bench/mpi.sh: needs mpirun (apt-get install -y openmpi-bin libopenmpi-dev)" >&2; exit 1; }
mkdir -p "$dir"
go build -o "$dir/dlc-one" ./cmd/dlc
go build -tags mpi -o "$dir/dlc" ./cmd/dlc
go build -tags mpi -o "$dir/mpiallreduce" ./bench/mpiallreduce
cp configs/reuters.yaml configs/imdb-ngrams.yaml "$dir/"
cd "$dir"

# run NAME CMD...: runs CMD, keeps stdout+stderr in NAME.log, prints the
# test accuracy, wall seconds, peak RSS (MiB) and the model's sha256.
run() {
  local name=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$name.time" "$@" --out "$out" >"$name.log" 2>&1
  local acc secs rss
  acc=$(grep -o 'test accuracy [0-9.]*' "$name.log" | awk '{print $3}')
  read -r secs rss <"$name.time"
  printf '%-22s accuracy %s  wall %7.2f s  peak RSS %5d MiB  %s\n' "$name" "$acc" "$secs" $((rss / 1024)) "$(sha256sum <"$out" | cut -c1-16)"
}

# ONLY=failures skips the recipes (the kill test needs reuters-np2-1.dlc
# from an earlier run).
recipes="reuters imdb-ngrams"
[ "${ONLY:-}" = failures ] && recipes=
for recipe in $recipes; do
  n=$reps
  [ "$recipe" = imdb-ngrams ] && n=$imdb_reps
  echo "== configs/$recipe.yaml: one process / mpirun -np 2, alternating, $n each"
  for i in $(seq "$n"); do
    run "$recipe-one-$i" "$recipe-one-$i.dlc" ./dlc-one train -c "$recipe.yaml"
    run "$recipe-np2-$i" "$recipe-np2-$i.dlc" mpirun -np 2 ./dlc train -c "$recipe.yaml"
  done
  grep -h 'rank 0/2.*epoch\|rank 0/2.*read' "$recipe-np2-1.log" | sed 's/^/  np2 /'
  grep -h '^epoch\|^read' "$recipe-one-1.log" | sed 's/^/  one /'
  for i in $(seq 2 "$n"); do
    if cmp -s "$recipe-np2-1.dlc" "$recipe-np2-$i.dlc"; then
      echo "  identical: the model files of mpirun -np 2 runs 1 and $i"
    else
      echo "DIFFERENT: the model files of mpirun -np 2 runs 1 and $i"; exit 1
    fi
  done
done

echo "== mpirun -np 4 --oversubscribe, configs/reuters.yaml, one rank killed or stopped in training"
for sig in KILL STOP; do
  cp reuters-np2-1.dlc before.dlc
  sum=$(sha256sum <before.dlc)
  mpirun -np 4 --oversubscribe ./dlc train -c reuters.yaml --set training.epochs=1000 --out before.dlc >kill.log 2>&1 &
  job=$!
  trap 'kill "$job" 2>/dev/null || true' EXIT # never leave the job running
  until grep -q 'rank 2/4\] epoch 3/' kill.log 2>/dev/null; do
    kill -0 "$job" 2>/dev/null || { echo "mpirun -np 4 ended before training:"; tail kill.log; exit 1; }
    sleep 0.2
  done
  victim=$(for p in $(pgrep -P "$job" -f 'dlc train'); do
    if tr '\0' '\n' <"/proc/$p/environ" | grep -qx OMPI_COMM_WORLD_RANK=2; then echo "$p"; fi; done)
  start=$(date +%s.%N)
  kill -"$sig" "$victim"
  status=0
  wait "$job" || status=$?
  trap - EXIT
  end=$(date +%s.%N)
  kill -KILL "$victim" 2>/dev/null || true
  printf '  SIG%s to rank 2: the job ended %.1f s later, exit status %d\n' "$sig" "$(echo "$end - $start" | bc)" "$status"
  grep -ah 'rank 2 of 4\|process rank 2' kill.log | sed 's/^/    /'
  if [ "$(sha256sum <before.dlc)" = "$sum" ]; then echo "    the model file written before is intact"; else echo "    THE MODEL FILE CHANGED"; exit 1; fi
done

echo "== dlc's sum over MPI (mpirun -np 2), median of 5, for the weights of"
echo "   the IMDB notebook (10k x 16), R52 notebook (10k x 64), R52 recipe (10k x 256), IMDB recipe (437k x 32)"
mpirun -np 2 ./mpiallreduce 10000x16 10000x64 10000x256 100000x128 436963x32 | sed 's/^/  /'
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
