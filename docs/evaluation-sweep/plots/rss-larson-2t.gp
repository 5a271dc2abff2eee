set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'rss-larson-2t.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'larson-2t: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/larson-2t-je-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/larson-2t-je-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/larson-2t-je-narenas1-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/larson-2t-je-narenas1-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/larson-2t-je-narenas2-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/larson-2t-je-narenas2-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/larson-2t-je-narenas8-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/larson-2t-je-narenas8-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/larson-2t-je-decay0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/larson-2t-je-decay0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/larson-2t-je-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/larson-2t-je-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/larson-2t-je-nomuzzy-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/larson-2t-je-nomuzzy-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/larson-2t-je-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/larson-2t-je-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/larson-2t-je-bg-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-bg-decay1s RSS', \
  '../series/larson-2t-je-bg-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-bg-decay1s live'
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'rss-larson-2t.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the runner started'
set ylabel 'MiB'
set yrange [0:*]
set title 'larson-2t: RSS (solid) and live requested bytes (dashed) over time'
plot '../series/larson-2t-je-default-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/larson-2t-je-default-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/larson-2t-je-narenas1-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/larson-2t-je-narenas1-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/larson-2t-je-narenas2-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/larson-2t-je-narenas2-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/larson-2t-je-narenas8-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/larson-2t-je-narenas8-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/larson-2t-je-decay0-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/larson-2t-je-decay0-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/larson-2t-je-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/larson-2t-je-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/larson-2t-je-nomuzzy-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/larson-2t-je-nomuzzy-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/larson-2t-je-bg-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/larson-2t-je-bg-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/larson-2t-je-bg-decay1s-r1.csv' skip 1 using 1:($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-bg-decay1s RSS', \
  '../series/larson-2t-je-bg-decay1s-r1.csv' skip 1 using 1:($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-bg-decay1s live'
