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
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 3 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 5 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 7 lc rgb '#8c564b' title 'tc-cache4m'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 8:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 9 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 10 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 11 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 12 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 13 lc rgb '#8c564b' title 'tc-cache4m'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 14:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 15 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 16 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 17 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 18 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 19 lc rgb '#8c564b' title 'tc-cache4m'
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
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 3 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 5 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 7 lc rgb '#8c564b' title 'tc-cache4m'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 8:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 9 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 10 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 11 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 12 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 13 lc rgb '#8c564b' title 'tc-cache4m'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 14:xtic(1) lc rgb '#1f77b4' title 'tc-default', 'ratios.dat' using 15 lc rgb '#d62728' title 'tc-release0', 'ratios.dat' using 16 lc rgb '#2ca02c' title 'tc-release5', 'ratios.dat' using 17 lc rgb '#9467bd' title 'tc-release10', 'ratios.dat' using 18 lc rgb '#ff7f0e' title 'tc-aggressive', 'ratios.dat' using 19 lc rgb '#8c564b' title 'tc-cache4m'
unset multiplot
