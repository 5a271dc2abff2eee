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
plot '../series/server-larson-je-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.604 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/server-larson-je-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.604 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.509 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.509 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.636 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.636 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.007 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.007 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.289 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.289 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.468 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.468 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.425 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.425 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.493 : NaN):($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.493 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.186 : NaN):($2/1048576) with lines lw 2 lc rgb '#17becf' title 'je-bg-decay1s RSS', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.186 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#17becf' title 'je-bg-decay1s live'
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
plot '../series/server-larson-je-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.604 : NaN):($2/1048576) with lines lw 2 lc rgb '#1f77b4' title 'je-default RSS', \
  '../series/server-larson-je-default-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.604 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#1f77b4' title 'je-default live', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.509 : NaN):($2/1048576) with lines lw 2 lc rgb '#d62728' title 'je-narenas1 RSS', \
  '../series/server-larson-je-narenas1-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.509 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#d62728' title 'je-narenas1 live', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.636 : NaN):($2/1048576) with lines lw 2 lc rgb '#2ca02c' title 'je-narenas2 RSS', \
  '../series/server-larson-je-narenas2-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.636 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#2ca02c' title 'je-narenas2 live', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.007 : NaN):($2/1048576) with lines lw 2 lc rgb '#9467bd' title 'je-narenas8 RSS', \
  '../series/server-larson-je-narenas8-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.007 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#9467bd' title 'je-narenas8 live', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.289 : NaN):($2/1048576) with lines lw 2 lc rgb '#ff7f0e' title 'je-decay0 RSS', \
  '../series/server-larson-je-decay0-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.289 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#ff7f0e' title 'je-decay0 live', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.468 : NaN):($2/1048576) with lines lw 2 lc rgb '#8c564b' title 'je-decay1s RSS', \
  '../series/server-larson-je-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.468 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#8c564b' title 'je-decay1s live', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.425 : NaN):($2/1048576) with lines lw 2 lc rgb '#e377c2' title 'je-nomuzzy RSS', \
  '../series/server-larson-je-nomuzzy-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.425 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#e377c2' title 'je-nomuzzy live', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.493 : NaN):($2/1048576) with lines lw 2 lc rgb '#7f7f7f' title 'je-bg RSS', \
  '../series/server-larson-je-bg-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 0.493 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#7f7f7f' title 'je-bg live', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.186 : NaN):($2/1048576) with lines lw 2 lc rgb '#17becf' title 'je-bg-decay1s RSS', \
  '../series/server-larson-je-bg-decay1s-r1.csv' skip 1 using ($5 >= 4 && $5 <= 5 ? $1 - 1.186 : NaN):($3/1048576) with lines lw 1 dt 2 lc rgb '#17becf' title 'je-bg-decay1s live'
