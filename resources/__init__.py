"""The files DigitLab ships with: installed as the package data of ``desktop.assets``.

pyproject.toml maps this folder to that package (``package-dir``), so a checkout keeps its
``resources/`` at the top while pip, pipx, a wheel and the PyInstaller bundle install the same
files inside the ``desktop`` package. Code reads them through ``desktop.resources`` only.
"""
