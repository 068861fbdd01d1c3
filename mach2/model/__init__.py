"""The vocabulary of mach2: pure, frozen records with no I/O."""
