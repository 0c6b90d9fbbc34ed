"""One module per ``prunegraph`` subcommand: ``HELP``, ``add_arguments(parser)``, ``run(args)``."""
