"""Local generation with diffusers. Importing this package does not import torch."""
