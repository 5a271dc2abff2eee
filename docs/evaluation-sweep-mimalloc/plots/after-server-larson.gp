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
plot '../series/server-larson-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.127 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'mi-default RSS', \
  '../series/server-larson-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.127 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'mi-default live', \
  '../series/server-larson-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.585 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'mi-decommit0 RSS', \
  '../series/server-larson-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.585 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'mi-decommit0 live', \
  '../series/server-larson-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 3.463 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'mi-decommit1s RSS', \
  '../series/server-larson-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 3.463 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'mi-decommit1s live', \
  '../series/server-larson-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.397 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'mi-segdecommit0 RSS', \
  '../series/server-larson-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.397 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'mi-segdecommit0 live', \
  '../series/server-larson-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.656 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mi-pagereset RSS', \
  '../series/server-larson-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.656 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mi-pagereset live', \
  '../series/server-larson-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.443 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'mi-abandoned RSS', \
  '../series/server-larson-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.443 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'mi-abandoned live', \
  '../series/server-larson-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.545 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'mi-nodecommit RSS', \
  '../series/server-larson-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.545 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'mi-nodecommit live'
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
plot '../series/server-larson-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.127 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'mi-default RSS', \
  '../series/server-larson-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.127 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'mi-default live', \
  '../series/server-larson-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.585 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'mi-decommit0 RSS', \
  '../series/server-larson-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 2.585 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'mi-decommit0 live', \
  '../series/server-larson-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 3.463 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'mi-decommit1s RSS', \
  '../series/server-larson-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 3.463 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'mi-decommit1s live', \
  '../series/server-larson-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.397 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'mi-segdecommit0 RSS', \
  '../series/server-larson-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.397 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'mi-segdecommit0 live', \
  '../series/server-larson-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.656 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mi-pagereset RSS', \
  '../series/server-larson-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.656 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mi-pagereset live', \
  '../series/server-larson-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.443 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'mi-abandoned RSS', \
  '../series/server-larson-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.443 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'mi-abandoned live', \
  '../series/server-larson-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.545 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'mi-nodecommit RSS', \
  '../series/server-larson-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.545 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'mi-nodecommit live'
