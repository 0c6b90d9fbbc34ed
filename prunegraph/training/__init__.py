"""Training (:mod:`.train`), pruning (:mod:`.prune`) and reusable experiment recipes (:mod:`.recipes`)."""
