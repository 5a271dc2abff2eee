set terminal svg size 1600,1200 dynamic background rgb 'white' font 'Sans,12'
set output 'relative.svg'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over glibc (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 7:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 8 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 9 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 10 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 11 lc rgb '#ff7f0e' title 'mimalloc'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 12:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 13 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 14 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 15 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 16 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
set terminal pngcairo size 1600,1200 background rgb 'white' font 'Sans,10'
set output 'relative.png'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key outside right top vertical
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front
set multiplot layout 3,1 title 'Each column over glibc (dashed line: 1)'
set title 'peak RSS'
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 7:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 8 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 9 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 10 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 11 lc rgb '#ff7f0e' title 'mimalloc'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 12:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 13 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 14 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 15 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 16 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
