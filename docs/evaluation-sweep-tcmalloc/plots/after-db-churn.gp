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
plot '../series/db-churn-tc-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.805 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'tc-default RSS', \
  '../series/db-churn-tc-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.805 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'tc-default live', \
  '../series/db-churn-tc-release0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.508 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'tc-release0 RSS', \
  '../series/db-churn-tc-release0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.508 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'tc-release0 live', \
  '../series/db-churn-tc-release5-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.549 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'tc-release5 RSS', \
  '../series/db-churn-tc-release5-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.549 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'tc-release5 live', \
  '../series/db-churn-tc-release10-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.622 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tc-release10 RSS', \
  '../series/db-churn-tc-release10-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.622 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tc-release10 live', \
  '../series/db-churn-tc-aggressive-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.364 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'tc-aggressive RSS', \
  '../series/db-churn-tc-aggressive-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.364 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'tc-aggressive live', \
  '../series/db-churn-tc-cache4m-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.387 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'tc-cache4m RSS', \
  '../series/db-churn-tc-cache4m-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.387 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'tc-cache4m live'
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
plot '../series/db-churn-tc-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.805 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'tc-default RSS', \
  '../series/db-churn-tc-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.805 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'tc-default live', \
  '../series/db-churn-tc-release0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.508 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'tc-release0 RSS', \
  '../series/db-churn-tc-release0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.508 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'tc-release0 live', \
  '../series/db-churn-tc-release5-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.549 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'tc-release5 RSS', \
  '../series/db-churn-tc-release5-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.549 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'tc-release5 live', \
  '../series/db-churn-tc-release10-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.622 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tc-release10 RSS', \
  '../series/db-churn-tc-release10-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.622 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tc-release10 live', \
  '../series/db-churn-tc-aggressive-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.364 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'tc-aggressive RSS', \
  '../series/db-churn-tc-aggressive-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.364 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'tc-aggressive live', \
  '../series/db-churn-tc-cache4m-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.387 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'tc-cache4m RSS', \
  '../series/db-churn-tc-cache4m-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.387 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'tc-cache4m live'
