"""Built-in sessions. Each is a directory with session.toml; the `__init__.py` files only make
setuptools ship the data files with the package (directory names are package-safe; the session
name is the manifest's `name`)."""
