"""Media files: safe paths, atomic writes, asset saving and embedded metadata."""
