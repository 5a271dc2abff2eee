set terminal svg size 4000,1200 dynamic background rgb 'white' font 'Sans,12'
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
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 7 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 8 lc rgb '#e377c2' title 'store', 'relative.dat' using 9 lc rgb '#7f7f7f' title 'store-defrag'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 10:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 11 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 12 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 13 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 14 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 15 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 16 lc rgb '#e377c2' title 'store', 'relative.dat' using 17 lc rgb '#7f7f7f' title 'store-defrag'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 18:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 19 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 20 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 21 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 22 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 23 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 24 lc rgb '#e377c2' title 'store', 'relative.dat' using 25 lc rgb '#7f7f7f' title 'store-defrag'
unset multiplot
set terminal pngcairo size 4000,1200 background rgb 'white' font 'Sans,10'
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
plot 'relative.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 7 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 8 lc rgb '#e377c2' title 'store', 'relative.dat' using 9 lc rgb '#7f7f7f' title 'store-defrag'
set title 'RSS at the last tail checkpoint'
plot 'relative.dat' using 10:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 11 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 12 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 13 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 14 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 15 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 16 lc rgb '#e377c2' title 'store', 'relative.dat' using 17 lc rgb '#7f7f7f' title 'store-defrag'
set title 'ops/s (higher is better)'
plot 'relative.dat' using 18:xtic(1) lc rgb '#1f77b4' title 'glibc', 'relative.dat' using 19 lc rgb '#d62728' title 'jemalloc', 'relative.dat' using 20 lc rgb '#2ca02c' title 'jemalloc-bg', 'relative.dat' using 21 lc rgb '#9467bd' title 'tcmalloc', 'relative.dat' using 22 lc rgb '#ff7f0e' title 'mimalloc', 'relative.dat' using 23 lc rgb '#8c564b' title 'flatline', 'relative.dat' using 24 lc rgb '#e377c2' title 'store', 'relative.dat' using 25 lc rgb '#7f7f7f' title 'store-defrag'
unset multiplot
