"""Developer tools for adcompile (not part of the installed package)."""
