"""What the pages say about runs: evaluation, comparison, experiments, inside the network, story."""
