"""Pure-Python engines: they take plain data and return plain data, and import nothing from Django."""
