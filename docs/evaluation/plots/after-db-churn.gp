set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'after-db-churn.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'db-churn: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/db-churn-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.820 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/db-churn-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.820 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/db-churn-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.376 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/db-churn-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.376 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/db-churn-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.853 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/db-churn-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.853 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/db-churn-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.840 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/db-churn-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.840 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/db-churn-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.588 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/db-churn-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.588 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live', \
  '../series/db-churn-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.920 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'flatline RSS', \
  '../series/db-churn-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.920 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'flatline live', \
  '../series/db-churn-store-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 9.638 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'store RSS', \
  '../series/db-churn-store-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 9.638 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'store live', \
  '../series/db-churn-store-defrag-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.051 : NaN):($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'store-defrag RSS', \
  '../series/db-churn-store-defrag-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.051 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'store-defrag live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'after-db-churn.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'db-churn: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot '../series/db-churn-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.820 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'glibc RSS', \
  '../series/db-churn-glibc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 7.820 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'glibc live', \
  '../series/db-churn-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.376 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'jemalloc RSS', \
  '../series/db-churn-jemalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.376 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'jemalloc live', \
  '../series/db-churn-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.853 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'jemalloc-bg RSS', \
  '../series/db-churn-jemalloc-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.853 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'jemalloc-bg live', \
  '../series/db-churn-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.840 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tcmalloc RSS', \
  '../series/db-churn-tcmalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.840 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tcmalloc live', \
  '../series/db-churn-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.588 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mimalloc RSS', \
  '../series/db-churn-mimalloc-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 4.588 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mimalloc live', \
  '../series/db-churn-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.920 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'flatline RSS', \
  '../series/db-churn-flatline-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 5.920 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'flatline live', \
  '../series/db-churn-store-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 9.638 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'store RSS', \
  '../series/db-churn-store-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 9.638 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'store live', \
  '../series/db-churn-store-defrag-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.051 : NaN):($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'store-defrag RSS', \
  '../series/db-churn-store-defrag-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 12.051 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'store-defrag live'
