set terminal svg size 2120,1200 dynamic background rgb 'white' font 'Sans,12'
set output 'relative.svg'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over je-default (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 3 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 4 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 5 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 7 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 8 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 9 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 10 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 11:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 12 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 13 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 14 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 15 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 16 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 17 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 18 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 19 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 20:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 21 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 22 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 23 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 24 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 25 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 26 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 27 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 28 lc rgb '#17becf' title 'je-bg-decay1s'
unset multiplot
set terminal pngcairo size 2120,1200 background rgb 'white' font 'Sans,10'
set output 'relative.png'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over je-default (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 3 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 4 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 5 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 7 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 8 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 9 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 10 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 11:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 12 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 13 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 14 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 15 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 16 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 17 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 18 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 19 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 20:xtic(1) lc rgb '#1f77b4' title 'je-default', 'relative.dat' using 21 lc rgb '#d62728' title 'je-narenas1', 'relative.dat' using 22 lc rgb '#2ca02c' title 'je-narenas2', 'relative.dat' using 23 lc rgb '#9467bd' title 'je-narenas8', 'relative.dat' using 24 lc rgb '#ff7f0e' title 'je-decay0', 'relative.dat' using 25 lc rgb '#8c564b' title 'je-decay1s', 'relative.dat' using 26 lc rgb '#e377c2' title 'je-nomuzzy', 'relative.dat' using 27 lc rgb '#7f7f7f' title 'je-bg', 'relative.dat' using 28 lc rgb '#17becf' title 'je-bg-decay1s'
unset multiplot
