"""Upscaling images and videos with spandrel models (Real-ESRGAN and anything else spandrel reads)."""
