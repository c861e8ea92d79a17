#!/usr/bin/env bash
# Sharded predict and vectorize under the launchers users run, each
# checked byte for byte against one process:
#
#   - dlc predict --shard i/4 run by GNU parallel (-k keeps shard order)
#   - dlc predict under mpirun -np 4 --oversubscribe (the shard from
#     OMPI_COMM_WORLD_RANK/SIZE) and mpirun -np 2 --oversubscribe, each
#     rank answering shards rank and rank+2 of 4
#   - parallel --pipe -k splitting stdin among dlc predict processes
#   - dlc vectorize --counts --shard i/4 by parallel, dlc vocab merge, and
#     dlc vectorize --vocabulary --shard i/4: vocabulary, labels and both
#     splits' svmlight files against one dlc vectorize --out
#
#   bash bench/shards.sh [CONFIG]   # default configs/imdb-ngrams.yaml for vectorize
#
# Needs GNU parallel and Open MPI (Debian: apt-get install parallel
# openmpi-bin) and ../shared/datasets/aclImdb_v1.tar.gz. Works in
# $BENCH_DIR (default /tmp/dlc-bench-shards). Prints the wall time of each
# way and exits 1 on the first output that differs. On one machine of 2
# cores the shards only add process start-ups and the vocabulary's
# loading per shard: the times say what the split costs, not what a
# cluster gains.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${BENCH_DIR:-/tmp/dlc-bench-shards}
vcfg=$root/${1:-configs/imdb-ngrams.yaml}
archive=$root/../shared/datasets/aclImdb_v1.tar.gz
sha=83a9c6b433babfb477204e9fb274da298a1c68b74bdf9e1924c067e1bb30b103
for c in parallel mpirun; do
  command -v $c >/dev/null || { echo "bench/shards.sh: needs $c (apt-get install -y parallel openmpi-bin)" >&2; exit 1; }
done
[ -f "$archive" ] || [ -f "${DLC_DATA:-/nonexistent}/imdb/test.jsonl" ] || { echo "bench/shards.sh: $archive is missing" >&2; exit 1; }
mkdir -p "$dir"
export DLC_DATA=${DLC_DATA:-$dir/data}
# Open MPI refuses root unless told twice (CI and these machines run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

go build -o "$dir/dlc" ./cmd/dlc
dlc=$dir/dlc
export PATH=$dir:$PATH
[ -f "$DLC_DATA/imdb/test.jsonl" ] || "$dlc" fetch imdb --from "$archive" --sha256 "$sha" >&2
[ -f "$dir/imdb.dlc" ] || "$dlc" train --config configs/imdb.yaml --out "$dir/imdb.dlc" --quiet >&2
test=$DLC_DATA/imdb/test.jsonl
cd "$dir"
rm -rf out && mkdir out

secs() { # secs NAME CMD...: runs CMD, prints its wall time
  local start end
  start=$(date +%s.%N)
  "${@:2}"
  end=$(date +%s.%N)
  printf '%-58s %6.2f s\n' "$1" "$(echo "$end - $start" | bc)"
}
same() { # same A B WHAT
  if cmp -s "$1" "$2"; then echo "  identical: $3"; else echo "DIFFERENT: $3 ($1, $2)"; exit 1; fi
}

echo "== predict, $(wc -l <"$test") IMDB test reviews (JSONL), tsv: the header comes with shard 0"
secs "one dlc predict" sh -c "dlc predict -m imdb.dlc --input $test --format tsv > out/one.tsv"
secs "parallel -j2 -k, --shard {}/4 ::: 0 1 2 3" sh -c "parallel -j2 -k dlc predict -m imdb.dlc --input $test --format tsv --shard {}/4 ::: 0 1 2 3 > out/parallel.tsv"
same out/one.tsv out/parallel.tsv "parallel, 4 shards"
secs "mpirun -np 4 --oversubscribe (shard from OMPI_*)" sh -c "mpirun -np 4 --oversubscribe sh -c 'dlc predict -q -m imdb.dlc --input $test --format tsv > out/mpi4-\$OMPI_COMM_WORLD_RANK.tsv' && cat out/mpi4-0.tsv out/mpi4-1.tsv out/mpi4-2.tsv out/mpi4-3.tsv > out/mpi4.tsv"
same out/one.tsv out/mpi4.tsv "mpirun -np 4, 4 shards"
secs "mpirun -np 2 --oversubscribe, ranks do shards r, r+2 of 4" sh -c "mpirun -np 2 --oversubscribe sh -c 'for s in \$OMPI_COMM_WORLD_RANK \$((OMPI_COMM_WORLD_RANK+2)); do dlc predict -m imdb.dlc --input $test --format tsv --shard \$s/4 > out/mpi2-\$s.tsv; done' && cat out/mpi2-0.tsv out/mpi2-1.tsv out/mpi2-2.tsv out/mpi2-3.tsv > out/mpi2.tsv"
same out/one.tsv out/mpi2.tsv "mpirun -np 2, 4 shards"
secs "one dlc predict < stdin (jsonl)" sh -c "dlc predict -m imdb.dlc --input-format jsonl < $test > out/one-stdin.txt"
secs "parallel --pipe -k --block 4M (stdin split by parallel)" sh -c "parallel --pipe -k -j2 --block 4M dlc predict -m imdb.dlc --input-format jsonl < $test > out/pipe.txt"
same out/one-stdin.txt out/pipe.txt "parallel --pipe -k"

echo "== vectorize $(basename "$vcfg"): counts of 4 shards, merge, encode 4 shards"
secs "one dlc vectorize --out" sh -c "dlc vectorize -q --config $vcfg --out out/one >/dev/null"
secs "parallel -j2: vectorize --counts --shard {}/4" sh -c "parallel -j2 dlc vectorize --config $vcfg --counts out/counts-{}.tsv --shard {}/4 ::: 0 1 2 3 >/dev/null"
secs "dlc vocab merge of the 4 counts" sh -c "dlc vocab merge --config $vcfg --out out/merged out/counts-?.tsv >/dev/null"
for split in train test; do
  secs "parallel -j2 -k: vectorize --vocabulary --split $split" sh -c "parallel -j2 -k dlc vectorize --config $vcfg --vocabulary out/merged --split $split --shard {}/4 ::: 0 1 2 3 > out/merged-$split.svm"
  same out/one/$split.svm out/merged-$split.svm "$split.svm"
done
same out/one/vocabulary.tsv out/merged/vocabulary.tsv "vocabulary.tsv ($(($(wc -l <out/one/vocabulary.tsv) - 1)) features)"
same out/one/labels.tsv out/merged/labels.tsv "labels.tsv"
ls -l out/counts-?.tsv | awk '{s += $5} END {printf "  counts files: %.1f MiB in all\n", s / 1048576}'
