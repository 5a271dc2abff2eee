set terminal svg size 1000,560 dynamic background rgb 'white' font 'Sans,12'
set output 'after-larson-8t.svg'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'larson-8t: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot 
set terminal pngcairo size 1000,560 background rgb 'white' font 'Sans,10'
set output 'after-larson-8t.png'
set datafile separator ','
set grid
set key outside right top
set xlabel 'seconds since the mass delete'
set ylabel 'MiB'
set yrange [0:*]
set title 'larson-8t: RSS (solid) and live requested bytes (dashed) after the mass delete'
set xrange [-0.5:*]
plot 
