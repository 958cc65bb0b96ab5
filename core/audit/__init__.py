"""The audit chain: the one write path for official records, tamper-evident by hashing."""
