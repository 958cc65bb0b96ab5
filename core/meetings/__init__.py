"""Village meetings: kinds, quorum and majority rules, sign-in, motions, minutes, 四议两公开 matters."""
