"""Training on Dask workers: the cluster, the tasks a worker runs, and the run store the pages use.
The only layer that imports Dask."""
