set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'rss-replay.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'replay: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/replay-glibc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/replay-glibc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/replay-jemalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/replay-jemalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/replay-mimalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/replay-mimalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'rss-replay.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'replay: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/replay-glibc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/replay-glibc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/replay-jemalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/replay-jemalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/replay-jemalloc-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/replay-tcmalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/replay-mimalloc-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/replay-mimalloc-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
