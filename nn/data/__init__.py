"""Data sets on disk: the IDX reader, MNIST and Fashion-MNIST, downloads."""
