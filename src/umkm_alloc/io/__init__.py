"""Reading tables (CSV dialects, workbooks) and writing files (atomic, formula-guarded)."""
