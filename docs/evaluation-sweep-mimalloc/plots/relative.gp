set terminal svg size 1760,1200 dynamic background rgb 'white' font 'Sans,12'
set output 'relative.svg'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over mi-default (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 3 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 4 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 5 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 7 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 8 lc rgb '#e377c2' title 'mi-nodecommit'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 9:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 10 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 11 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 12 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 13 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 14 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 15 lc rgb '#e377c2' title 'mi-nodecommit'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 16:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 17 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 18 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 19 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 20 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 21 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 22 lc rgb '#e377c2' title 'mi-nodecommit'
unset multiplot
set terminal pngcairo size 1760,1200 background rgb 'white' font 'Sans,10'
set output 'relative.png'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over mi-default (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 3 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 4 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 5 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 7 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 8 lc rgb '#e377c2' title 'mi-nodecommit'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 9:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 10 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 11 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 12 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 13 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 14 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 15 lc rgb '#e377c2' title 'mi-nodecommit'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 16:xtic(1) lc rgb '#1f77b4' title 'mi-default', 'relative.dat' using 17 lc rgb '#d62728' title 'mi-decommit0', 'relative.dat' using 18 lc rgb '#2ca02c' title 'mi-decommit1s', 'relative.dat' using 19 lc rgb '#9467bd' title 'mi-segdecommit0', 'relative.dat' using 20 lc rgb '#ff7f0e' title 'mi-pagereset', 'relative.dat' using 21 lc rgb '#8c564b' title 'mi-abandoned', 'relative.dat' using 22 lc rgb '#e377c2' title 'mi-nodecommit'
unset multiplot
