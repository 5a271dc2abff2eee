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
plot '../series/db-churn-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.477 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'mi-default RSS', \
  '../series/db-churn-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.477 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'mi-default live', \
  '../series/db-churn-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.977 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'mi-decommit0 RSS', \
  '../series/db-churn-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.977 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'mi-decommit0 live', \
  '../series/db-churn-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.144 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'mi-decommit1s RSS', \
  '../series/db-churn-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.144 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'mi-decommit1s live', \
  '../series/db-churn-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.471 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'mi-segdecommit0 RSS', \
  '../series/db-churn-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.471 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'mi-segdecommit0 live', \
  '../series/db-churn-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.485 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mi-pagereset RSS', \
  '../series/db-churn-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.485 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mi-pagereset live', \
  '../series/db-churn-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.362 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'mi-abandoned RSS', \
  '../series/db-churn-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.362 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'mi-abandoned live', \
  '../series/db-churn-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.189 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'mi-nodecommit RSS', \
  '../series/db-churn-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.189 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'mi-nodecommit live'
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
plot '../series/db-churn-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.477 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'mi-default RSS', \
  '../series/db-churn-mi-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.477 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'mi-default live', \
  '../series/db-churn-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.977 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'mi-decommit0 RSS', \
  '../series/db-churn-mi-decommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.977 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'mi-decommit0 live', \
  '../series/db-churn-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.144 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'mi-decommit1s RSS', \
  '../series/db-churn-mi-decommit1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.144 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'mi-decommit1s live', \
  '../series/db-churn-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.471 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'mi-segdecommit0 RSS', \
  '../series/db-churn-mi-segdecommit0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.471 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'mi-segdecommit0 live', \
  '../series/db-churn-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.485 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'mi-pagereset RSS', \
  '../series/db-churn-mi-pagereset-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.485 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'mi-pagereset live', \
  '../series/db-churn-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.362 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'mi-abandoned RSS', \
  '../series/db-churn-mi-abandoned-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.362 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'mi-abandoned live', \
  '../series/db-churn-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.189 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'mi-nodecommit RSS', \
  '../series/db-churn-mi-nodecommit-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.189 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'mi-nodecommit live'
