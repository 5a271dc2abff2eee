set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'rss-server-larson.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/server-larson-je-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/server-larson-je-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#17becf' title 'je-bg-decay1s RSS', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#17becf' title 'je-bg-decay1s live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'rss-server-larson.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'server-larson: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/server-larson-je-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/server-larson-je-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#17becf' title 'je-bg-decay1s RSS', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#17becf' title 'je-bg-decay1s live'
