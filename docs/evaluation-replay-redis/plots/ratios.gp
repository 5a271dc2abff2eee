set terminal svg size 1500,520 dynamic background rgb 'white' font 'Sans,12'
set output 'ratios.svg'
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key below horizontal
set multiplot layout 1,3
set title 'RSS / live at peak live'
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 7:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 8 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 9 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 10 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 11 lc rgb '#ff7f0e' title 'mimalloc'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 12:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 13 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 14 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 15 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 16 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
set terminal pngcairo size 1500,520 background rgb 'white' font 'Sans,10'
set output 'ratios.png'
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key below horizontal
set multiplot layout 1,3
set title 'RSS / live at peak live'
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 3 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 5 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'mimalloc'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 7:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 8 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 9 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 10 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 11 lc rgb '#ff7f0e' title 'mimalloc'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 12:xtic(1) lc rgb '#1f77b4' title 'glibc', 'ratios.dat' using 13 lc rgb '#d62728' title 'jemalloc', 'ratios.dat' using 14 lc rgb '#2ca02c' title 'jemalloc-bg', 'ratios.dat' using 15 lc rgb '#9467bd' title 'tcmalloc', 'ratios.dat' using 16 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
