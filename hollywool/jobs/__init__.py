"""The one job system: every kind of work is a job in one table, run by one scheduler."""
