"""The public notice board (三务公开): notices, versions, objections, feeds, print."""
