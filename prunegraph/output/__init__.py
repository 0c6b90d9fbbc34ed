"""Everything the user reads: tables and JSON/CSV (:mod:`.tables`), figures (:mod:`.plot`, the only
importer of matplotlib/seaborn), the HTML report (:mod:`.report`) and the notebooks' common
set-up (:mod:`.notebook`)."""
