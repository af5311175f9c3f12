"""HollyWool: a local AI image and video studio."""

__version__ = "0.1.0"
