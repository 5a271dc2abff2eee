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
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 3 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 5 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 7 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 8 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 9 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 10 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 11:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 12 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 13 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 14 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 15 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 16 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 17 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 18 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 19 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 20:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 21 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 22 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 23 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 24 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 25 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 26 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 27 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 28 lc rgb '#17becf' title 'je-bg-decay1s'
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
plot 'ratios.dat' using 2:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 3 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 4 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 5 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 6 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 7 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 8 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 9 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 10 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'peak RSS / peak live'
plot 'ratios.dat' using 11:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 12 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 13 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 14 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 15 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 16 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 17 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 18 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 19 lc rgb '#17becf' title 'je-bg-decay1s'
set title 'RSS 30 s after the mass delete / peak RSS'
plot 'ratios.dat' using 20:xtic(1) lc rgb '#1f77b4' title 'je-default', 'ratios.dat' using 21 lc rgb '#d62728' title 'je-narenas1', 'ratios.dat' using 22 lc rgb '#2ca02c' title 'je-narenas2', 'ratios.dat' using 23 lc rgb '#9467bd' title 'je-narenas8', 'ratios.dat' using 24 lc rgb '#ff7f0e' title 'je-decay0', 'ratios.dat' using 25 lc rgb '#8c564b' title 'je-decay1s', 'ratios.dat' using 26 lc rgb '#e377c2' title 'je-nomuzzy', 'ratios.dat' using 27 lc rgb '#7f7f7f' title 'je-bg', 'ratios.dat' using 28 lc rgb '#17becf' title 'je-bg-decay1s'
unset multiplot
