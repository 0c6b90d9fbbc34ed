"""Model zoo (:mod:`.zoo`) and data sets (:mod:`.data`) the experiments train on."""
