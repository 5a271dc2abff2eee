set terminal svg size 1200,480 dynamic background rgb 'white' font 'Sans,12'
set output 'scaling-xmalloc.svg'
set datafile missing 'NaN'
set grid
set key below horizontal
set logscale x 2
set xrange [0.8:10]
set xlabel 'threads'
set xtics (1, 2, 4, 8)
set yrange [0:*]
set multiplot layout 1,2 title 'xmalloc: thread scaling'
set title 'ops/s'
plot 'scaling-xmalloc.dat' using 1:2 with linespoints lw 2 lc rgb '#1f77b4' title 'glibc', 'scaling-xmalloc.dat' using 1:4 with linespoints lw 2 lc rgb '#d62728' title 'jemalloc', 'scaling-xmalloc.dat' using 1:6 with linespoints lw 2 lc rgb '#2ca02c' title 'jemalloc-bg', 'scaling-xmalloc.dat' using 1:8 with linespoints lw 2 lc rgb '#9467bd' title 'tcmalloc', 'scaling-xmalloc.dat' using 1:10 with linespoints lw 2 lc rgb '#ff7f0e' title 'mimalloc'
set title 'peak RSS (MiB)'
plot 'scaling-xmalloc.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'glibc', 'scaling-xmalloc.dat' using 1:5 with linespoints lw 2 lc rgb '#d62728' title 'jemalloc', 'scaling-xmalloc.dat' using 1:7 with linespoints lw 2 lc rgb '#2ca02c' title 'jemalloc-bg', 'scaling-xmalloc.dat' using 1:9 with linespoints lw 2 lc rgb '#9467bd' title 'tcmalloc', 'scaling-xmalloc.dat' using 1:11 with linespoints lw 2 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
set terminal pngcairo size 1200,480 background rgb 'white' font 'Sans,10'
set output 'scaling-xmalloc.png'
set datafile missing 'NaN'
set grid
set key below horizontal
set logscale x 2
set xrange [0.8:10]
set xlabel 'threads'
set xtics (1, 2, 4, 8)
set yrange [0:*]
set multiplot layout 1,2 title 'xmalloc: thread scaling'
set title 'ops/s'
plot 'scaling-xmalloc.dat' using 1:2 with linespoints lw 2 lc rgb '#1f77b4' title 'glibc', 'scaling-xmalloc.dat' using 1:4 with linespoints lw 2 lc rgb '#d62728' title 'jemalloc', 'scaling-xmalloc.dat' using 1:6 with linespoints lw 2 lc rgb '#2ca02c' title 'jemalloc-bg', 'scaling-xmalloc.dat' using 1:8 with linespoints lw 2 lc rgb '#9467bd' title 'tcmalloc', 'scaling-xmalloc.dat' using 1:10 with linespoints lw 2 lc rgb '#ff7f0e' title 'mimalloc'
set title 'peak RSS (MiB)'
plot 'scaling-xmalloc.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'glibc', 'scaling-xmalloc.dat' using 1:5 with linespoints lw 2 lc rgb '#d62728' title 'jemalloc', 'scaling-xmalloc.dat' using 1:7 with linespoints lw 2 lc rgb '#2ca02c' title 'jemalloc-bg', 'scaling-xmalloc.dat' using 1:9 with linespoints lw 2 lc rgb '#9467bd' title 'tcmalloc', 'scaling-xmalloc.dat' using 1:11 with linespoints lw 2 lc rgb '#ff7f0e' title 'mimalloc'
unset multiplot
