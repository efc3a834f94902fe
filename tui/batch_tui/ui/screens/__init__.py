"""Full screens over the dashboard: the history by day and a batch's results."""
