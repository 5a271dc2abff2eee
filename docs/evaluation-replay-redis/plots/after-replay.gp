set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'after-replay.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'replay: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/replay-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 23.099 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/replay-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 23.099 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/replay-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 16.241 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/replay-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 16.241 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.409 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.409 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.152 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.152 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/replay-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.417 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/replay-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.417 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'after-replay.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'replay: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/replay-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 23.099 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/replay-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 23.099 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/replay-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 16.241 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/replay-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 16.241 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.409 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.409 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.152 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 15.152 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/replay-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.417 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/replay-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.417 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
