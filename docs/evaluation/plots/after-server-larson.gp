set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'after-server-larson.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/server-larson-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.989 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/server-larson-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.989 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/server-larson-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.555 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/server-larson-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.555 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/server-larson-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.119 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/server-larson-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.119 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/server-larson-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.166 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/server-larson-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.166 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/server-larson-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.866 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/server-larson-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.866 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live', \
  '../series/server-larson-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.039 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'flatline RSS', \
  '../series/server-larson-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.039 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'flatline live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'after-server-larson.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/server-larson-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.989 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/server-larson-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.989 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/server-larson-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.555 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/server-larson-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.555 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/server-larson-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.119 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/server-larson-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.119 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/server-larson-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.166 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/server-larson-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.166 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/server-larson-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.866 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/server-larson-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.866 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live', \
  '../series/server-larson-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.039 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'flatline RSS', \
  '../series/server-larson-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 6.039 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'flatline live'
