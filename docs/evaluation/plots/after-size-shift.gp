set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'after-size-shift.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'size-shift: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/size-shift-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.460 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/size-shift-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.460 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/size-shift-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.644 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/size-shift-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.644 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/size-shift-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.968 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/size-shift-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.968 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/size-shift-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.092 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/size-shift-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.092 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/size-shift-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.876 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/size-shift-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.876 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'after-size-shift.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'size-shift: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/size-shift-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.460 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/size-shift-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.460 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/size-shift-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.644 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/size-shift-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.644 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/size-shift-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.968 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/size-shift-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.968 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/size-shift-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.092 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/size-shift-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.092 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/size-shift-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.876 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/size-shift-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.876 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live'
