"""SQLite storage: the engine, versioned migrations and one repository per table."""
