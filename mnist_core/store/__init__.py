"""Files that outlive the server: runs on disk, learners, drawing sets, classes."""
