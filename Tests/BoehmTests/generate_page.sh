#!/bin/sh
# Writes a large, deterministic HTML page (about 300 KB: paragraphs, tables,
# lists, links) on stdout, for `w3m -dump` under bdwgc and under SwiftGC.
awk 'BEGIN {
    seed = 12345
    print "<html><head><title>Generated page</title></head><body><h1>A large generated page</h1>"
    for (section = 0; section < 60; section++) {
        printf "<h2 id=\"s%d\">Section %d</h2><p>", section, section
        for (word = 0; word < 200; word++) { seed = (seed * 1103515245 + 12345) % 2147483648; printf "word%d ", seed % 10000 }
        print "</p><table border=1>"
        for (row = 0; row < 20; row++) {
            printf "<tr>"
            for (cell = 0; cell < 6; cell++) { seed = (seed * 1103515245 + 12345) % 2147483648; printf "<td>%d</td>", seed % 1000000 }
            print "</tr>"
        }
        print "</table><ul>"
        for (item = 0; item < 30; item++) printf "<li><a href=\"#s%d\">link %d</a> <b>bold</b> <i>italic</i> &amp; &lt;escaped&gt;</li>\n", item, item
        print "</ul>"
    }
    print "</body></html>"
}'
