"""The pages' shared parts: the learner, the session's runs, links, formatting, the run picker,
and pieces of pages that more than one page draws (or that keep a page short)."""
