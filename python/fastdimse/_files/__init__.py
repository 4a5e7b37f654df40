"""Files: Part 10 meta at the byte level, the scan of a data set, spools, FileStore."""
