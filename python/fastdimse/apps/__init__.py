"""Command-line apps with pynetdicom's names, options and output: `python -m fastdimse <app>`."""
