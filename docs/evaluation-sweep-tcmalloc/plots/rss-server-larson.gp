set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'rss-server-larson.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/server-larson-tc-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'tc-default RSS', \
  '../series/server-larson-tc-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'tc-default live', \
  '../series/server-larson-tc-release0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'tc-release0 RSS', \
  '../series/server-larson-tc-release0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'tc-release0 live', \
  '../series/server-larson-tc-release5-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'tc-release5 RSS', \
  '../series/server-larson-tc-release5-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'tc-release5 live', \
  '../series/server-larson-tc-release10-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tc-release10 RSS', \
  '../series/server-larson-tc-release10-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tc-release10 live', \
  '../series/server-larson-tc-aggressive-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'tc-aggressive RSS', \
  '../series/server-larson-tc-aggressive-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'tc-aggressive live', \
  '../series/server-larson-tc-cache4m-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'tc-cache4m RSS', \
  '../series/server-larson-tc-cache4m-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'tc-cache4m live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'rss-server-larson.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/server-larson-tc-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'tc-default RSS', \
  '../series/server-larson-tc-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'tc-default live', \
  '../series/server-larson-tc-release0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'tc-release0 RSS', \
  '../series/server-larson-tc-release0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'tc-release0 live', \
  '../series/server-larson-tc-release5-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'tc-release5 RSS', \
  '../series/server-larson-tc-release5-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'tc-release5 live', \
  '../series/server-larson-tc-release10-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'tc-release10 RSS', \
  '../series/server-larson-tc-release10-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'tc-release10 live', \
  '../series/server-larson-tc-aggressive-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'tc-aggressive RSS', \
  '../series/server-larson-tc-aggressive-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'tc-aggressive live', \
  '../series/server-larson-tc-cache4m-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'tc-cache4m RSS', \
  '../series/server-larson-tc-cache4m-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'tc-cache4m live'
