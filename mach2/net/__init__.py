"""What every provider shares to reach the network: the one HTTP client (``http``)."""
