"""Everything the user reads: tables and JSON/CSV (:mod:`.tables`), figures (:mod:`.plot`, the only
importer of matplotlib/seaborn) and the HTML report (:mod:`.report`)."""
