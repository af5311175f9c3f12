"""Data shipped with the package: the model catalogue and the small config folders for single files."""
