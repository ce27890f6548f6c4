#!/usr/bin/env bash
# Compile cost (bench/README.md): wall time and peak memory of compiling a TU that includes only
# <ctnn/ctnn.hpp>, one with mlp_trading, and generated networks of depth 8, 64 and 512; beside
# them, in the same run, TUs that include only <Eigen/Dense> (the anchor the include cost is held
# to: ctnn.hpp at most 1.25x) and only <boost/hana.hpp> (the README's Boost.Hana decision).
# Usage: bench/compile_cost.sh COMPILER   (prints markdown table rows; each TU compiled 3 times,
# the median kept)
set -euo pipefail
compiler=$1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo '#include <ctnn/ctnn.hpp>' > "$work/header_only.cpp"
echo '#include <Eigen/Dense>' > "$work/eigen_dense.cpp"
echo '#include <boost/hana.hpp>' > "$work/boost_hana.cpp"
cat > "$work/mlp_trading.cpp" <<'CPP'
#include <ctnn/ctnn.hpp>
using model = ctnn::network<ctnn::input<ctnn::shape<32>>, ctnn::dense<64>, ctnn::relu, ctnn::dense<64>, ctnn::relu,
                            ctnn::dense<1>>;
float run(const ctnn::tensor<float, ctnn::shape<32>>& x) {
  static const auto net = ctnn::make<model>(ctnn::init::he_uniform{}, 1);
  return net(x)[0];
}
CPP
for depth in 8 64 512; do
  {
    echo '#include <ctnn/ctnn.hpp>'
    printf 'using model = ctnn::network<ctnn::input<ctnn::shape<16>>'
    for ((i = 1; i < depth; i++)); do
      if ((i % 2)); then printf ', ctnn::dense<16>'; else printf ', ctnn::relu'; fi
    done
    echo '>;'
    echo 'float run(const ctnn::tensor<float, ctnn::shape<16>>& x) {'
    echo '  static const auto net = ctnn::make<model>(ctnn::init::he_uniform{}, 1);'
    echo '  return net(x)[0];'
    echo '}'
  } > "$work/depth_$depth.cpp"
done

median() { sort -n | sed -n 2p; }
declare -A wall
for tu in header_only eigen_dense boost_hana mlp_trading depth_8 depth_64 depth_512; do
  [ "$tu" = eigen_dense ] && [ ! -d /usr/include/eigen3 ] && continue
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$compiler" -std=c++20 -O2 -march=native -I"$root/include" -I"$root/dsl" \
      -I/usr/include/eigen3 -c "$work/$tu.cpp" -o "$work/$tu.o"
    cat "$work/time" >> "$work/times_$tu"
  done
  seconds=$(cut -d' ' -f1 "$work/times_$tu" | median)
  kb=$(cut -d' ' -f2 "$work/times_$tu" | median)
  wall[$tu]=$seconds
  echo "| $tu | $seconds s | $((kb / 1024)) MiB |"
done
if [ -n "${wall[eigen_dense]:-}" ]; then
  echo "| ctnn.hpp / Eigen/Dense | $(awk -v a="${wall[header_only]}" -v b="${wall[eigen_dense]}" 'BEGIN { printf "%.2f", a / b }')x | |"
fi